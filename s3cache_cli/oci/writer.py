"""Write a local OCI image layout the way BuildKit's ``type=local`` export does.

Every file lands by rename: a blob only once its bytes match its digest,
``index.json`` last, under the exclusive ``flock`` on ``index.json.lock``
that BuildKit takes while it rewrites the index. A reader therefore sees the
layout as it was before or as it is after, never half of it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from s3cache_cli.digest import Digest, verify_file
from s3cache_cli.errors import IntegrityError, OperationFailed, UsageError
from s3cache_cli.oci import mediatypes as mt
from s3cache_cli.oci.layout import WRITTEN_ANNOTATION, format_written
from s3cache_cli.s3.download import temp_beside

log = logging.getLogger(__name__)

INDEX_FILE = "index.json"
LOCK_FILE = "index.json.lock"
LAYOUT_FILE = "oci-layout"
LAYOUT_CONTENT = b'{"imageLayoutVersion":"1.0.0"}'
BLOB_MODE = 0o444  # BuildKit leaves blobs read-only
FILE_MODE = 0o644
LOCK_TIMEOUT = 300.0
_LOCK_POLL = 0.1
_GO_HTML_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


@dataclass(frozen=True)
class ManifestForm:
    """Which top-level manifest to write, as ``type=local`` attributes choose it."""

    image_manifest: bool = False
    oci_mediatypes: bool = True

    def __post_init__(self) -> None:
        if self.image_manifest and not self.oci_mediatypes:
            raise UsageError(
                "image-manifest=true needs OCI media types",
                hint="drop oci-mediatypes=false or image-manifest=true",
            )

    @property
    def media_type(self) -> str:
        if self.image_manifest:
            return mt.OCI_MANIFEST
        return mt.OCI_INDEX if self.oci_mediatypes else mt.DOCKER_MANIFEST_LIST

    def layer_media_type(self, media_type: str) -> str:
        """A layer's media type in this form's family, whichever family it was
        written in: BuildKit converts every layer on each local export."""
        if self.oci_mediatypes:
            return mt.to_oci_layer_type(media_type)

        return mt.to_docker_layer_type(media_type)

    @property
    def description(self) -> str:
        if self.image_manifest:
            return "OCI image manifest"
        return "OCI image index" if self.oci_mediatypes else "Docker manifest list"


@dataclass(frozen=True)
class Blob:
    """Bytes with their descriptor, ready to be written as one blob."""

    media_type: str
    data: bytes

    @property
    def digest(self) -> Digest:
        return Digest("sha256", hashlib.sha256(self.data).hexdigest())

    def descriptor(self) -> dict[str, Any]:
        return {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": len(self.data),
        }


def go_json(value: Any) -> bytes:
    """Compact JSON escaped as Go's encoding/json writes it (BuildKit's bytes)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escape in _GO_HTML_ESCAPES.items():
        text = text.replace(char, escape)
    return text.encode("utf-8")


def blob_path(root: Path, digest: Digest) -> Path:
    """Where ``digest`` lives under ``root``; a Digest is always a safe name."""
    return root / "blobs" / digest.algorithm / digest.hex


def blob_state(root: Path, digest: Digest, size: int) -> str:
    """``missing``, ``valid`` or ``corrupt`` for the blob file of ``digest``."""
    path = blob_path(root, digest)
    if not path.is_file():
        return "missing"

    try:
        verify_file(path, digest, size)
    except IntegrityError as error:
        log.debug("present blob is corrupt: %s", error)
        return "corrupt"

    return "valid"


def build_manifest(
    config: Blob, layers: Sequence[dict[str, Any]], form: ManifestForm
) -> Blob:
    """The top-level manifest that ties the layers and the cache config together."""
    layer_descriptors = [_layer_descriptor(layer, form) for layer in layers]
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": form.media_type}
    if form.image_manifest:
        document["config"] = config.descriptor()
        document["layers"] = layer_descriptors
    else:
        document["manifests"] = [*layer_descriptors, config.descriptor()]

    return Blob(form.media_type, go_json(document))


def _layer_descriptor(layer: dict[str, Any], form: ManifestForm) -> dict[str, Any]:
    # Go writes struct fields in declaration order and map keys sorted.
    descriptor = {
        "mediaType": form.layer_media_type(layer["mediaType"]),
        "digest": layer["digest"],
        "size": layer["size"],
    }
    annotations = layer.get("annotations") or {}
    if annotations:
        descriptor["annotations"] = dict(sorted(annotations.items()))

    return descriptor


def prepare_layout(root: Path) -> None:
    """Create ``root``, ``blobs/sha256`` and ``oci-layout`` where they are missing."""
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    layout = root / LAYOUT_FILE
    if not layout.exists():
        write_atomically(layout, LAYOUT_CONTENT, mode=FILE_MODE)


def write_blob(root: Path, blob: Blob) -> bool:
    """Write a small in-memory blob unless a valid copy is there; True if written."""
    digest = blob.digest
    if blob_state(root, digest, len(blob.data)) == "valid":
        return False

    path = blob_path(root, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, blob.data, mode=BLOB_MODE)
    return True


def touch_blobs(root: Path, digests: Iterable[Digest]) -> None:
    """Give blobs this write relies on, but did not write, the time of now.

    Prune spares blobs modified within its grace period, so one running now
    cannot delete them before ``index.json`` names them, as an export's touch
    protects a blob in S3. A blob already gone is left for
    ``update_index`` to find.
    """
    for digest in digests:
        with contextlib.suppress(FileNotFoundError):
            os.utime(blob_path(root, digest))


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, rename over it."""
    temp = temp_beside(path)
    try:
        with open(temp, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temp.chmod(mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise

    fsync_directory(path.parent)
    log.debug("wrote %s (%d bytes)", path, len(data))


def sync_blob_directories(root: Path) -> None:
    """Make the renames that placed blobs durable before the index names them."""
    for directory in (root / "blobs").iterdir():
        if directory.is_dir():
            fsync_directory(directory)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_index(root: Path) -> dict[str, Any] | None:
    """The parsed ``index.json``, or None when there is none yet."""
    path = root / INDEX_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None

    try:
        index = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad_index(path, f"not valid JSON ({error})") from None

    if not isinstance(index, dict) or not isinstance(index.get("manifests", []), list):
        raise _bad_index(path, "not an OCI image index")

    return index


def _bad_index(path: Path, reason: str) -> OperationFailed:
    return OperationFailed(
        f"{path} is {reason}; s3cache will not overwrite it",
        hint="move the file away, or import into another directory",
    )


def with_tag(
    index: dict[str, Any] | None,
    manifest: Blob,
    tag: str,
    *,
    written: datetime | None = None,
) -> dict[str, Any]:
    """``index`` with ``tag`` pointing at ``manifest``; other entries kept.

    ``written`` is recorded on the entry: the manifest blob may be far older
    than the tag, and prune must not take a fresh tag for an old one.
    """
    annotations = {mt.REF_NAME_ANNOTATION: tag}
    if written is not None:
        annotations[WRITTEN_ANNOTATION] = format_written(written)
    entry = {**manifest.descriptor(), "annotations": dict(sorted(annotations.items()))}
    index = index or {}
    manifests = _replace_tag(index.get("manifests", []), entry, tag)
    # Go writes an ocispec Index field by field in this order.
    document = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX}
    if "artifactType" in index:
        document["artifactType"] = index["artifactType"]
    document["manifests"] = manifests
    known = {"schemaVersion", "mediaType", "artifactType", "manifests"}
    document.update((k, v) for k, v in index.items() if k not in known)
    return document


def _replace_tag(
    entries: list[Any], entry: dict[str, Any], tag: str
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    placed = False
    for existing in entries:
        if _tag_of(existing) != tag:
            result.append(existing)
        elif not placed:
            result.append(entry)
            placed = True

    if not placed:
        result.append(entry)

    return result


def _tag_of(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None

    annotations = entry.get("annotations")
    if not isinstance(annotations, dict):
        return None

    return annotations.get(mt.REF_NAME_ANNOTATION)


def update_index(
    root: Path,
    manifest: Blob,
    tag: str,
    *,
    needs: Sequence[Digest] = (),
    lock_timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> None:
    """Point ``tag`` at ``manifest`` in ``index.json``, atomically, under the lock.

    Every blob in ``needs`` must still be in place once the lock is held:
    a tag never names a blob that another job removed in the meantime.
    """
    with index_lock(root, timeout=lock_timeout, on_wait=on_wait):
        _require_blobs(root, needs)
        now = datetime.now(UTC)
        document = with_tag(read_index(root), manifest, tag, written=now)
        write_atomically(root / INDEX_FILE, go_json(document), mode=FILE_MODE)


def _require_blobs(root: Path, digests: Sequence[Digest]) -> None:
    gone = [blob_path(root, d) for d in digests if not blob_path(root, d).is_file()]
    if gone:
        raise OperationFailed(
            f"{gone[0]} disappeared before index.json could name it"
            + (f" ({len(gone) - 1} more blobs too)" if len(gone) > 1 else ""),
            hint="another job (a prune?) removed it meanwhile; run the import "
            "again, it downloads only what is missing",
        )


@contextlib.contextmanager
def index_lock(
    root: Path,
    *,
    timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold BuildKit's exclusive ``flock`` on ``index.json.lock``.

    BuildKit deletes the lock file when it is done, so a lock taken on a file
    that has since been unlinked guards nothing: check and take it again.
    """
    path = root / LOCK_FILE
    deadline = time.monotonic() + timeout
    fd = _acquire(path, deadline, on_wait)
    try:
        yield
    finally:
        # Unlink before unlocking, as BuildKit does, so no waiter keeps a
        # lock on a file that newcomers can no longer see.
        path.unlink(missing_ok=True)
        os.close(fd)


def _acquire(path: Path, deadline: float, on_wait: Callable[[], None] | None) -> int:
    waited = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        if _try_flock(fd) and _still_linked(fd, path):
            return fd

        os.close(fd)
        if not waited and on_wait is not None:
            on_wait()
        waited = True
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"{path} is locked by another process (BuildKit or s3cache)",
                hint="wait for the other export to finish, then run this again",
            )
        time.sleep(_LOCK_POLL)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise

    return True


def _still_linked(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False

    opened = os.fstat(fd)
    return (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino)
