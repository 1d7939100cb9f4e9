"""Where a flag string puts its keys, checked while it is read, before any upload.

A manifest key is ``prefix + manifests_prefix + name``; a blob key is
``prefix + blobs_prefix + sha256:<64 hex>``, the digests BuildKit writes.
S3 keys are at most 1024 bytes of UTF-8; keys of exactly 1024 bytes are what
S3 still takes, so they pass. Manifests and blobs must not share keys: a
manifest written over a blob, or blobs listed as caches, lose caches.
"""

from __future__ import annotations

from s3cache_cli.digest import HEX_LENGTHS
from s3cache_cli.spec.attributes import Attributes
from s3cache_cli.spec.errors import SpecError
from s3cache_cli.spec.model import S3Spec

MAX_KEY_BYTES = 1024
SHA256_DIGEST_CHARACTERS = len("sha256:") + 64


def key_bytes(key: str) -> int:
    return len(key.encode("utf-8"))


def check_key_lengths(spec: S3Spec, attributes: Attributes) -> None:
    """Raise a ``SpecError`` at the attribute that makes a key too long."""
    blob_key = spec.blobs_root + "x" * SHA256_DIGEST_CHARACTERS
    if key_bytes(blob_key) > MAX_KEY_BYTES:
        key = _longest_given(attributes, spec, ("prefix", "blobs_prefix"))
        raise _too_long(attributes, key, "a blob key", key_bytes(blob_key))

    for index, name in enumerate(spec.names):
        manifest_key = spec.manifest_key(name)
        if key_bytes(manifest_key) > MAX_KEY_BYTES:
            raise _manifest_too_long(attributes, spec, index, key_bytes(manifest_key))


def key_roots_overlap(spec: S3Spec) -> str | None:
    """Why manifest and blob keys could be the same keys, or None if they cannot."""
    manifests, blobs = spec.manifests_root, spec.blobs_root
    if blobs.startswith(manifests):
        return "every blob would be listed as a cache"
    if manifests.startswith(blobs) and _could_begin_a_digest(manifests[len(blobs) :]):
        return "a cache could be written over a blob"
    return None


def check_key_roots(spec: S3Spec, attributes: Attributes) -> None:
    """Raise a ``SpecError`` when manifest and blob keys could be the same keys."""
    reason = key_roots_overlap(spec)
    if reason is None:
        return

    manifests, blobs = spec.manifests_root, spec.blobs_root
    given = [
        key for key in ("manifests_prefix", "blobs_prefix") if key in attributes.fields
    ]
    key = given[0] if given else "prefix"
    raise attributes.fail_at_value(
        key,
        f"{key}: manifests under {manifests!r} and blobs under {blobs!r} overlap; "
        f"{reason}",
        accepted="a manifests_prefix and a blobs_prefix that keep the two apart, "
        "such as the defaults manifests/ and blobs/",
    )


def _could_begin_a_digest(text: str) -> bool:
    return any(
        f"{algorithm}:".startswith(text) or text.startswith(f"{algorithm}:")
        for algorithm in HEX_LENGTHS
    )


def _manifest_too_long(
    attributes: Attributes, spec: S3Spec, index: int, size: int
) -> SpecError:
    what = f"the manifest key of cache {index + 1}"
    field = attributes.fields.get("name") if spec.names_given else None
    if field is None or key_bytes(spec.manifests_root) >= MAX_KEY_BYTES:
        key = _longest_given(attributes, spec, ("prefix", "manifests_prefix"))
        return _too_long(attributes, key, what, size)

    start = sum(len(name) + 1 for name in spec.names[:index])
    end = start + len(spec.names[index])
    return attributes.source.error(
        f"name: {what} would be {size} bytes; S3 takes at most {MAX_KEY_BYTES}",
        span=field.value_part_span(start, end),
        attribute="name",
        accepted=_advice(spec.manifests_root, "name"),
    )


def _too_long(attributes: Attributes, key: str, what: str, size: int) -> SpecError:
    return attributes.fail_at_value(
        key,
        f"{key}: {what} would be {size} bytes; S3 takes at most {MAX_KEY_BYTES}",
        accepted=f"a shorter {key}: keys are prefix, then manifests_prefix and a "
        "name, or blobs_prefix and a digest",
    )


def _longest_given(attributes: Attributes, spec: S3Spec, keys: tuple[str, ...]) -> str:
    given = [key for key in keys if key in attributes.fields]
    return max(given, key=lambda key: key_bytes(getattr(spec, key)))


def _advice(root: str, key: str) -> str:
    room = MAX_KEY_BYTES - key_bytes(root)
    return (
        f"a {key} of at most {room} bytes: it follows {key_bytes(root)} bytes "
        "of prefix and manifests_prefix"
    )
