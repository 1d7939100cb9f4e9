"""Read one attribute value: each reader returns the value or raises ``Invalid``.

``Invalid`` says what is wrong and what would be accepted; ``part`` narrows
the fault to a slice of the value (one empty name in ``a;;b``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from s3cache_cli.spec.duration import DurationTooLong, parse_go_duration

Reader = Callable[[str], object]

GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
# The ref.name grammar of the OCI image layout: components of letters and
# digits joined by - . _ : @ + or --, separated by /.
_ALPHANUM = r"[A-Za-z0-9]+"
_COMPONENT = rf"{_ALPHANUM}(?:(?:[-._:@+]|--){_ALPHANUM})*"
_TAG = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_MOST_DIGITS = 9
# Parts of a key between '/' that stores treating keys as paths drop or resolve.
REWRITTEN_PATH_PARTS = ("", ".", "..")
# What botocore sends at all; S3 itself is stricter (3 to 63 characters,
# lowercase), but other stores and old buckets are not.
_BUCKET_CHARACTER = re.compile(r"[^A-Za-z0-9._-]")
_LONGEST_BUCKET = 255
_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::([^/]+)")
_BUCKET_RULE = (
    "letters, digits, '.', '-' and '_', starting and ending with a letter or "
    "digit (S3 itself takes 3 to 63 lowercase letters, digits, '.' and '-'), "
    "or an access point ARN"
)
_LONGEST_QUOTED = 40


class Invalid(ValueError):
    def __init__(
        self, reason: str, accepted: str, part: tuple[int, int] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.accepted = accepted
        self.part = part


def boolean(value: str) -> bool:
    if value in GO_TRUE:
        return True
    if value in GO_FALSE:
        return False
    raise Invalid(
        f"{quoted(value)} is not a boolean",
        "true or false (also 1, t, T, TRUE, True and 0, f, F, FALSE, False)",
    )


def positive_integer(value: str) -> int:
    accepted = "a whole number of 1 or more, such as 4"
    if not value.isascii() or not value.isdigit():
        raise Invalid(f"{quoted(value)} is not a whole number", accepted)
    if len(value.lstrip("0")) > _MOST_DIGITS:
        raise Invalid(
            f"{quoted(value)} is too large", f"{accepted}, below 10**{_MOST_DIGITS}"
        )
    if int(value) == 0:
        raise Invalid(f"{quoted(value)} is not 1 or more", accepted)
    return int(value)


def choice(*options: str) -> Reader:
    def read(value: str) -> str:
        if value not in options:
            raise Invalid(f"{quoted(value)} is not accepted", " or ".join(options))
        return value

    return read


def duration(value: str) -> timedelta:
    accepted = (
        "a Go duration such as 90m, 1h30m, 36h, 1.5h or 300ms "
        "(units h, m, s, ms, us, ns; days are not a unit)"
    )
    try:
        delta = parse_go_duration(value)
    except DurationTooLong:
        longest = f"{accepted}, up to 2562047h"
        raise Invalid(f"{quoted(value)} is too long", longest) from None
    except ValueError:
        raise Invalid(f"{quoted(value)} is not a duration", accepted) from None
    if delta < timedelta(0):
        raise Invalid(f"{quoted(value)} is negative", accepted)
    return delta


def key_prefix(value: str) -> str:
    """A prefix of keys: empty, or path parts each ending in '/' (the last may
    run on into what follows, as in prefix=team1-)."""
    accepted = "a prefix such as team1/ or ci/cache/, with no '//', './' or '../'"
    parts = value.split("/")
    for index, piece in enumerate(parts[:-1]):
        if piece in REWRITTEN_PATH_PARTS:
            start = sum(len(part) + 1 for part in parts[:index])
            raise Invalid(
                f"{quoted(value)} has an empty, '.' or '..' part between '/'",
                accepted,
                (start, start + len(piece) + 1),
            )
    if parts[-1] and parts[-1] in REWRITTEN_PATH_PARTS:
        raise Invalid(
            f"{quoted(value)} ends in {parts[-1]!r}",
            accepted,
            (len(value) - len(parts[-1]), len(value)),
        )
    return value


def optional_text(value: str) -> str | None:
    return value or None


def names(value: str) -> tuple[str, ...]:
    found: list[str] = []
    start = 0
    for segment in value.split(";"):
        check_name(segment, part=(start, start + len(segment)))
        found.append(segment)
        start += len(segment) + 1
    return tuple(found)


def _check_name_path(name: str, part: tuple[int, int] | None) -> None:
    """A name is the end of a key, and stores treat keys as paths: many drop an
    empty part, '.' or '..', so the manifest would land under another key."""
    if any(piece in REWRITTEN_PATH_PARTS for piece in name.split("/")):
        raise Invalid(
            f"cache name {quoted(name)} has an empty, '.' or '..' part between '/'",
            "a name whose '/'-separated parts are names, as in name=feature/login",
            part,
        )


def check_name(name: str, *, part: tuple[int, int] | None = None) -> str:
    accepted = "one or more cache names separated by ';', as in name=pr-42;main"
    if not name:
        raise Invalid("an empty cache name", accepted, part)
    if name != name.strip():
        raise Invalid(
            f"cache name {quoted(name)} starts or ends with a space", accepted, part
        )
    if any(not character.isprintable() for character in name):
        raise Invalid(f"{quoted(name)} has a control character", accepted, part)
    _check_name_path(name, part)
    return name


def bucket_name(value: str) -> str:
    accepted = "a bucket name alone, such as my-cache; put folders in prefix=team1/"
    _require_text(value, "a bucket name", accepted)
    if value.startswith("arn:"):
        return _access_point_arn(value)

    slash = value.find("/")
    if slash >= 0:
        raise Invalid(f"{quoted(value)} holds a '/'", accepted, (slash, slash + 1))
    wrong = _BUCKET_CHARACTER.search(value)
    if wrong is not None:
        at = (wrong.start(), wrong.end())
        raise Invalid(f"{quoted(value)} holds {wrong.group()!r}", _BUCKET_RULE, at)
    if not (value[0].isalnum() and value[-1].isalnum()):
        raise Invalid(
            f"{quoted(value)} starts or ends with a '.', '-' or '_'", _BUCKET_RULE
        )
    if len(value) > _LONGEST_BUCKET:
        raise Invalid(f"a bucket name of {len(value)} characters", _BUCKET_RULE)
    return value


def _access_point_arn(value: str) -> str:
    """The ARNs botocore sends as a bucket: access points and outposts."""
    from botocore.handlers import VALID_S3_ARN

    if VALID_S3_ARN.search(value):
        return value
    bucket = _BUCKET_ARN.fullmatch(value)
    if bucket is not None:
        raise Invalid(
            f"{quoted(value)} is the ARN of a bucket",
            f"the bucket's name alone: bucket={bucket.group(1)}",
        )
    raise Invalid(
        f"{quoted(value)} is not an access point ARN",
        "arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME, or a bucket name",
    )


def region(value: str) -> str:
    _require_text(value, "a region", "a region name, such as eu-west-1")
    return value


def endpoint_url(value: str) -> str | None:
    if not value:
        return None

    accepted = (
        "a URL with http:// or https:// and a host, such as http://127.0.0.1:8333"
    )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as error:
        raise Invalid(f"{quoted(value)} is not a URL ({error})", accepted) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{quoted(value)} is not an http:// or https:// URL", accepted)
    return value


def digest(value: str) -> str:
    if not _DIGEST.fullmatch(value):
        raise Invalid(
            f"{quoted(value)} is not a digest",
            "sha256: and 64 lower-case hex digits, or sha512: and 128",
        )
    return value


def tag(value: str) -> str:
    if not _TAG.fullmatch(value):
        raise Invalid(
            f"{quoted(value)} is not a tag",
            "letters and digits, joined by - . _ : @ + and /, such as latest or v1.2",
        )
    return value


def directory(value: str) -> Path:
    if not value:
        raise Invalid("an empty directory", "a directory path, such as ./cache")
    return Path(value)


def _require_text(value: str, what: str, accepted: str) -> None:
    if not value:
        raise Invalid(f"{what} cannot be empty", accepted)
    for index, character in enumerate(value):
        if character.isspace() or unicodedata.category(character).startswith("C"):
            raise Invalid(f"{what} cannot hold a space", accepted, (index, index + 1))


def quoted(value: str) -> str:
    """The value, quoted, for a one-line message."""
    return repr(shortened(value))


def shortened(value: str) -> str:
    """A long value cut for a one-line message; the echo below it shows it whole."""
    if len(value) > _LONGEST_QUOTED:
        return value[: _LONGEST_QUOTED - 3] + "..."
    return value
