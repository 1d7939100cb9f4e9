"""What a flag string says: a cache in S3 or in a local directory."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, Literal

from s3cache_cli.redact import MASK
from s3cache_cli.spec.duration import format_go_duration
from s3cache_cli.spec.values import check_name

Direction = Literal["from", "to"]
DEFAULT_NAME = "buildkit"
DEFAULT_TOUCH_REFRESH = timedelta(hours=24)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")


@dataclass(frozen=True)
class S3Spec:
    """A BuildKit ``type=s3`` cache: where its objects are and how to reach them."""

    type: ClassVar[str] = "s3"

    bucket: str
    region: str
    names: tuple[str, ...] = (DEFAULT_NAME,)
    prefix: str = ""
    manifests_prefix: str = "manifests/"
    blobs_prefix: str = "blobs/"
    endpoint_url: str | None = None
    use_path_style: bool = False
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    upload_parallelism: int = 4
    touch_refresh: timedelta = DEFAULT_TOUCH_REFRESH
    retry_mode: str | None = None
    retry_max_attempts: int | None = None
    disable_accept_encoding: bool = False
    mode: str | None = None
    ignore_error: bool = False
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # False when the names are the default: inspect and prune then mean
    # "every cache", not "the cache called buildkit".
    names_given: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        if not self.names:
            raise ValueError("an S3 cache needs at least one name")

    @property
    def manifests_root(self) -> str:
        return self.prefix + self.manifests_prefix

    @property
    def blobs_root(self) -> str:
        return self.prefix + self.blobs_prefix

    def manifest_key(self, name: str) -> str:
        return self.manifests_root + check_name(name)

    def blob_key(self, digest: str) -> str:
        """The key of a blob; the digest is checked so no key holds ``..``."""
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a sha256 or sha512 digest: {digest!r}")
        return self.blobs_root + digest

    def with_names(self, names: tuple[str, ...]) -> S3Spec:
        for name in names:
            check_name(name)
        return dataclasses.replace(self, names=tuple(names), names_given=True)

    def redacted(self) -> dict[str, object]:
        """The settings as JSON values, secrets as ``***``; unset ones, and the
        default name when no name= was written, left out."""
        document: dict[str, object] = {"type": self.type}
        for setting in _settings(self):
            value = getattr(self, setting.name)
            if value is None or (setting.name == "names" and not self.names_given):
                continue
            if setting.name in ("secret_access_key", "session_token"):
                value = MASK
            document[setting.name] = _json_value(value)
        return document

    def to_string(self) -> str:
        """A flag string for this cache, secrets masked, defaults left out."""
        pairs = [("type", "s3"), ("bucket", self.bucket), ("region", self.region)]
        pairs += _changed_pairs(self, _S3_FLAG_KEYS)
        return join_fields(pairs)


@dataclass(frozen=True)
class LocalSpec:
    """A BuildKit ``type=local`` cache: an OCI image layout directory."""

    type: ClassVar[str] = "local"

    path: Path
    direction: Direction
    tag: str = "latest"
    digest: str | None = None
    image_manifest: bool = False
    oci_mediatypes: bool = True
    ignore_error: bool = False
    mode: str | None = None
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # False when the tag is the default: inspect then means "every tag".
    tag_given: bool = field(default=True, compare=False)

    def redacted(self) -> dict[str, object]:
        """The settings as JSON values; unset ones, and the default tag when no
        tag= was written, left out."""
        document: dict[str, object] = {"type": self.type}
        for setting in _settings(self):
            value = getattr(self, setting.name)
            if value is None or (setting.name == "tag" and not self.tag_given):
                continue
            document[setting.name] = _json_value(value)
        return document

    def to_string(self) -> str:
        """A flag string for this cache, defaults left out."""
        path_key = "src" if self.direction == "from" else "dest"
        pairs = [("type", "local"), (path_key, str(self.path))]
        pairs += _changed_pairs(self, _LOCAL_FLAG_KEYS)
        return join_fields(pairs)


# Field name -> flag key, in the order a flag string lists them.
_S3_FLAG_KEYS = {
    "names": "name",
    "prefix": "prefix",
    "manifests_prefix": "manifests_prefix",
    "blobs_prefix": "blobs_prefix",
    "endpoint_url": "endpoint_url",
    "use_path_style": "use_path_style",
    "access_key_id": "access_key_id",
    "secret_access_key": "secret_access_key",
    "session_token": "session_token",
    "upload_parallelism": "upload_parallelism",
    "touch_refresh": "touch_refresh",
    "retry_mode": "retry_mode",
    "retry_max_attempts": "retry_max_attempts",
    "disable_accept_encoding": "disable_accept_encoding",
    "mode": "mode",
    "ignore_error": "ignore-error",
}
_LOCAL_FLAG_KEYS = {
    "tag": "tag",
    "digest": "digest",
    "image_manifest": "image-manifest",
    "oci_mediatypes": "oci-mediatypes",
    "mode": "mode",
    "ignore_error": "ignore-error",
}


def join_fields(pairs: list[tuple[str, str]]) -> str:
    """``key=value`` fields joined by commas, quoted where CSV needs it."""
    return ",".join(_quoted(f"{key}={value}") for key, value in pairs)


def _quoted(field_text: str) -> str:
    if any(character in field_text for character in ',"\r\n'):
        return '"' + field_text.replace('"', '""') + '"'
    return field_text


def _changed_pairs(spec: object, flag_keys: dict[str, str]) -> list[tuple[str, str]]:
    defaults = {setting.name: setting.default for setting in _settings(spec)}
    pairs = []
    for name, key in flag_keys.items():
        value = getattr(spec, name)
        if value == defaults[name]:
            continue
        if name in ("secret_access_key", "session_token"):
            value = MASK
        pairs.append((key, _flag_value(value)))
    return pairs


def _flag_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return format_go_duration(value)
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


def _json_value(value: object) -> object:
    if isinstance(value, timedelta):
        return format_go_duration(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _settings(spec: object) -> list[dataclasses.Field[object]]:
    return [
        setting
        for setting in dataclasses.fields(spec)  # type: ignore[arg-type]
        if setting.name not in ("ignored", "warnings", "names_given", "tag_given")
    ]
