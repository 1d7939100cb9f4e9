"""S3 keys are at most 1024 bytes of UTF-8: a flag string whose manifest or
blob keys would be longer is refused while it is read, before any upload.

A manifest key is ``prefix + manifests_prefix + name``; a blob key is
``prefix + blobs_prefix + sha256:<64 hex>``, the digests BuildKit writes.
Keys of exactly 1024 bytes are what S3 still takes, so they pass.
"""

from __future__ import annotations

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
