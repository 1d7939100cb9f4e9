"""Content digests: parse them strictly and check bytes against them.

A digest read from a manifest later becomes an S3 key or a file name, so only
the two forms BuildKit writes are accepted (``sha256`` with 64 and ``sha512``
with 128 lower-case hex digits). Anything else, ``../`` or a slash included,
is refused here, before it can reach a key or a path.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from s3cache_cli.errors import IntegrityError

logger = logging.getLogger(__name__)

HEX_LENGTHS = {"sha256": 64, "sha512": 128}
_HEX_DIGITS = frozenset("0123456789abcdef")
_SHOWN_CHARS = 80
_CORRUPT_HINT = (
    "the blob is damaged or was replaced; delete it and export the cache again"
)


class InvalidDigest(ValueError):
    """A string that is not a digest s3cache accepts; the message says why."""


@dataclass(frozen=True)
class Digest:
    """``algorithm:hex``; constructing one checks it, so every instance is valid."""

    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        reason = _hex_problem(self.algorithm, self.hex)
        if reason is not None:
            raise InvalidDigest(f"invalid digest {_show(str(self))}: {reason}")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def encoded(self) -> str:
        return self.hex

    def hasher(self) -> hashlib._Hash:
        """A fresh hashlib object of this digest's algorithm."""
        return hashlib.new(self.algorithm)


def parse_digest(text: object) -> Digest:
    """Parse ``sha256:<hex>`` or ``sha512:<hex>``; raise InvalidDigest otherwise."""
    if not isinstance(text, str):
        raise InvalidDigest(f"a digest must be a string, not {type(text).__name__}")

    algorithm, colon, hex_part = text.partition(":")
    if not colon:
        raise InvalidDigest(f"invalid digest {_show(text)}: no ':' after the algorithm")

    return Digest(algorithm, hex_part)


def _hex_problem(algorithm: object, hex_part: object) -> str | None:
    if not isinstance(algorithm, str) or not isinstance(hex_part, str):
        return "algorithm and hex must be strings"

    expected = HEX_LENGTHS.get(algorithm)
    if expected is None:
        known = " or ".join(HEX_LENGTHS)
        return f"unknown algorithm {_show(algorithm)} (s3cache accepts {known})"

    if not _HEX_DIGITS.issuperset(hex_part):
        return "the hex part may hold only the digits 0-9 and a-f (lower case)"

    if len(hex_part) != expected:
        return f"{algorithm} needs {expected} hex digits, this has {len(hex_part)}"

    return None


def _show(text: str) -> str:
    """The text quoted and escaped, cut short: safe to put in a message."""
    if len(text) > _SHOWN_CHARS:
        return repr(text[:_SHOWN_CHARS]) + "…"

    return repr(text)


class DigestVerifier:
    """Hash data as it streams past, then check it against a digest and size."""

    def __init__(self, digest: Digest, size: int | None) -> None:
        self.digest = digest
        self.size = size
        self.reset()

    def update(self, chunk: bytes) -> None:
        self._hasher.update(chunk)
        self._bytes_seen += len(chunk)

    def reset(self) -> None:
        """Start over, e.g. before a retried download sends the bytes again."""
        self._hasher = self.digest.hasher()
        self._bytes_seen = 0

    @property
    def bytes_seen(self) -> int:
        return self._bytes_seen

    def check(self, what: str) -> None:
        """Raise IntegrityError unless the bytes seen match the size and digest."""
        if self.size is not None and self._bytes_seen != self.size:
            raise IntegrityError(
                f"{what} does not match {self.digest}: expected {self.size} bytes, "
                f"got {self._bytes_seen}",
                hint=_CORRUPT_HINT,
            )

        actual = Digest(self.digest.algorithm, self._hasher.hexdigest())
        if actual != self.digest:
            raise IntegrityError(
                f"{what} does not match {self.digest}: its content hashes to {actual}",
                hint=_CORRUPT_HINT,
            )

        logger.debug("%s matches %s (%d bytes)", what, self.digest, self._bytes_seen)


def verify_file(
    path: Path, digest: Digest, size: int | None, *, chunk_size: int = 1 << 20
) -> None:
    """Raise IntegrityError unless the file's bytes match ``digest`` and ``size``."""
    verifier = DigestVerifier(digest, size)
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_size):
            verifier.update(chunk)

    verifier.check(str(path))


def file_digest(path: Path, algorithm: str = "sha256") -> Digest:
    """The digest of a file's content."""
    if algorithm not in HEX_LENGTHS:
        raise InvalidDigest(f"unknown algorithm {_show(algorithm)}")

    with path.open("rb") as stream:
        hasher = hashlib.file_digest(stream, algorithm)

    return Digest(algorithm, hasher.hexdigest())
