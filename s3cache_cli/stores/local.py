"""The cache store over a local OCI layout, as ``type=local,dest=DIR`` writes it.

Each tag of ``index.json`` is a cache; blobs are files ``blobs/<alg>/<hex>``;
``ingest/`` holds writes that never finished. Nothing here touches a path it
did not build from a validated digest or find by listing DIR itself, and no
symbolic link is followed out of DIR.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import IntegrityError, InvalidManifest, OperationFailed
from s3cache_cli.stores.base import (
    BlobDeleteError,
    BlobEntry,
    BlobRef,
    CacheEntry,
    PendingUpload,
)

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.digest import Digest

log = logging.getLogger(__name__)

INDEX = "index.json"
INDEX_LOCK = "index.json.lock"
INGEST = "ingest"
REF_NAME = "org.opencontainers.image.ref.name"
CHUNK_SIZE = 1024 * 1024
MANIFEST_SIZE_LIMIT = 64 * 1024 * 1024


class LocalStore:
    """``CacheStore`` over one OCI layout directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = str(self.root)
        self._manifests: dict[str, _Manifest] = {}
        self._lock = threading.Lock()

    def list_caches(self) -> Iterator[CacheEntry]:
        index = self._read_index()
        written = _mtime(self.root / INDEX)
        for position, descriptor in enumerate(index.get("manifests") or []):
            entry = _cache_entry(descriptor, position, written)
            yield dataclasses.replace(entry, modified=self._written(entry, written))

    def read_cache(self, entry: CacheEntry) -> CacheConfig:
        from s3cache_cli.cacheconfig import CacheConfig

        manifest = self._manifest(entry)
        config_bytes = self._read_small(manifest.config, entry)
        source = f"{self.root / INDEX} tag {entry.name!r}"
        try:
            return CacheConfig.from_local(config_bytes, manifest.layers, source=source)
        except InvalidManifest:
            raise
        except ValueError as error:
            raise InvalidManifest(f"{source}: {error}") from error

    def own_blobs(self, entry: CacheEntry) -> tuple[BlobRef, ...]:
        manifest = self._manifest(entry)
        return (manifest.ref, manifest.config)

    def iter_blobs(self) -> Iterator[BlobEntry]:
        for path, digest in self._blob_files():
            if digest is not None:
                info = path.lstat()
                yield BlobEntry(digest, str(path), info.st_size, _stamp(info.st_mtime))

    def iter_foreign(self) -> Iterator[str]:
        for path, digest in self._blob_files():
            if digest is None:
                yield str(path.relative_to(self.root))

    def head_blob(self, digest: Digest) -> BlobEntry | None:
        path = self.blob_path(digest)
        if not _regular_file(path):
            return None

        info = path.lstat()
        return BlobEntry(digest, str(path), info.st_size, _stamp(info.st_mtime))

    def verify_blob(
        self,
        digest: Digest,
        size: int,
        *,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        from s3cache_cli.digest import DigestVerifier

        path = self.blob_path(digest)
        if not _regular_file(path):
            raise IntegrityError(f"{path} does not exist")

        verifier = DigestVerifier(digest, size)
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                verifier.update(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        verifier.check(str(path))

    def delete_cache(self, entry: CacheEntry) -> bool:
        # TODO: once the OCI layout writer is shared, rewrite index.json through
        # it instead of this copy of the locked, atomic rewrite.
        with _IndexLock(self.root / INDEX_LOCK):
            index = self._read_index()
            kept = [d for d in index.get("manifests") or [] if not _same(d, entry)]
            if len(kept) == len(index.get("manifests") or []):
                log.debug("%s changed since it was listed; kept", entry.location)
                return False
            _write_atomically(self.root / INDEX, {**index, "manifests": kept})
        log.debug("removed tag %s from %s", entry.name, self.root / INDEX)
        return True

    def delete_blobs(self, blobs: Iterable[BlobEntry]) -> int:
        deleted, failures = 0, []
        for blob in blobs:
            problem = self._delete_blob(blob)
            if problem is None:
                deleted += 1
            else:
                failures.append((blob.location, problem))
        if failures:
            raise BlobDeleteError(
                deleted=deleted, failures=tuple(failures), where=self.description
            )
        return deleted

    def pending_uploads(self) -> Iterator[PendingUpload]:
        ingest = self.root / INGEST
        if not ingest.is_dir() or ingest.is_symlink():
            return
        for path in sorted(ingest.iterdir()):
            info = path.lstat()
            yield PendingUpload(
                location=str(path),
                upload_id=path.name,
                started=_stamp(info.st_mtime),
                size=_tree_size(path),
            )

    def abort_upload(self, upload: PendingUpload) -> None:
        path = Path(upload.location)
        if path.parent != self.root / INGEST or path.name != upload.upload_id:
            raise OperationFailed(f"{path} is not an ingest leftover of {self.root}")

        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        log.debug("removed ingest leftover %s", path)

    def blob_path(self, digest: Digest) -> Path:
        """The file of a digest; only ever built from a validated Digest."""
        return self.root / "blobs" / digest.algorithm / digest.hex

    # Reading

    def _written(self, entry: CacheEntry, fallback: datetime) -> datetime:
        """When the tag's manifest blob was written, else when index.json was."""
        from s3cache_cli.digest import InvalidDigest, parse_digest

        try:
            path = self.blob_path(parse_digest(entry.etag))
        except InvalidDigest:
            return fallback
        return _mtime(path) if _regular_file(path) else fallback

    def _read_index(self) -> dict[str, Any]:
        path = self.root / INDEX
        try:
            index = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise OperationFailed(
                f"{path} does not exist",
                hint="give the directory that --cache-to type=local,dest=DIR wrote",
            ) from None
        except (OSError, ValueError) as error:
            raise OperationFailed(f"cannot read {path}: {error}") from error
        if not isinstance(index, dict):
            raise OperationFailed(f"{path} is not an OCI image index")
        return index

    def _manifest(self, entry: CacheEntry) -> _Manifest:
        with self._lock:
            cached = self._manifests.get(entry.location)
        if cached is not None:
            return cached

        manifest = self._load_manifest(entry)
        with self._lock:
            self._manifests[entry.location] = manifest
        return manifest

    def _load_manifest(self, entry: CacheEntry) -> _Manifest:
        ref = BlobRef(_entry_digest(entry), entry.size, entry.media_type or "")
        data = self._read_small(ref, entry)
        try:
            document = json.loads(data)
        except ValueError as error:
            raise InvalidManifest(f"{entry.location}: not JSON: {error}") from error
        return _split_manifest(document, ref, entry)

    def _read_small(self, ref: BlobRef, entry: CacheEntry) -> bytes:
        """A manifest or config blob, checked against its digest and size."""
        from s3cache_cli.digest import DigestVerifier

        path = self.blob_path(ref.digest)
        if not _regular_file(path):
            raise InvalidManifest(f"{entry.location}: blob {ref.digest} is missing")
        if path.lstat().st_size > MANIFEST_SIZE_LIMIT:
            raise InvalidManifest(f"{entry.location}: {path} is too large")

        data = path.read_bytes()
        verifier = DigestVerifier(ref.digest, ref.size)
        verifier.update(data)
        try:
            verifier.check(str(path))
        except IntegrityError as error:
            raise InvalidManifest(f"{entry.location}: {error.message}") from None
        return data

    def _blob_files(self) -> Iterator[tuple[Path, Digest | None]]:
        """Every entry under blobs/, with its digest when its path is one."""
        from s3cache_cli.digest import HEX_LENGTHS, Digest, InvalidDigest

        blobs = self.root / "blobs"
        if not blobs.is_dir() or blobs.is_symlink():
            return
        for folder in sorted(blobs.iterdir()):
            if folder.name not in HEX_LENGTHS or not _real_dir(folder):
                yield folder, None
                continue
            for path in sorted(folder.iterdir()):
                try:
                    digest = Digest(folder.name, path.name)
                except InvalidDigest:
                    digest = None
                yield path, digest if _regular_file(path) else None

    # Deleting

    def _delete_blob(self, blob: BlobEntry) -> str | None:
        """None when deleted (or already gone), else why it was left alone."""
        path = self.blob_path(blob.digest)
        if str(path) != blob.location:
            return f"not the file of {blob.digest} in {self.root}"
        if path.exists() and not _regular_file(path):
            return "not a regular file"
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            return error.strerror or str(error)
        return None


class _Manifest:
    """A tag's manifest split into its config and layer descriptors."""

    def __init__(self, ref: BlobRef, config: BlobRef, layers: list[dict]) -> None:
        self.ref = ref
        self.config = config
        self.layers = layers


class _IndexLock:
    """BuildKit's exclusive flock on index.json.lock while index.json changes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _IndexLock:
        import fcntl

        self._file = self.path.open("a")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info: object) -> None:
        import fcntl

        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def _split_manifest(document: object, ref: BlobRef, entry: CacheEntry) -> _Manifest:
    from s3cache_cli.oci.mediatypes import CACHE_CONFIG

    if not isinstance(document, dict):
        raise InvalidManifest(f"{entry.location}: not a JSON object")

    if "config" in document:
        config, layers = document.get("config"), document.get("layers") or []
    else:
        described = document.get("manifests") or []
        configs = [d for d in described if _media_type(d) == CACHE_CONFIG]
        config = configs[-1] if configs else None
        layers = [d for d in described if _media_type(d) != CACHE_CONFIG]

    if not isinstance(config, dict) or _media_type(config) != CACHE_CONFIG:
        raise InvalidManifest(f"{entry.location}: names no {CACHE_CONFIG} blob")
    return _Manifest(ref, _blob_ref(config, entry), list(layers))


def _blob_ref(descriptor: dict, entry: CacheEntry) -> BlobRef:
    from s3cache_cli.digest import InvalidDigest, parse_digest

    try:
        digest = parse_digest(descriptor.get("digest"))
    except InvalidDigest as error:
        raise InvalidManifest(f"{entry.location}: {error}") from None
    size = descriptor.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidManifest(f"{entry.location}: {digest} has no valid size")
    return BlobRef(digest, size, _media_type(descriptor))


def _cache_entry(descriptor: object, position: int, modified: datetime) -> CacheEntry:
    if not isinstance(descriptor, dict):
        descriptor = {}
    annotations = descriptor.get("annotations") or {}
    digest = str(descriptor.get("digest", ""))
    name = annotations.get(REF_NAME) if isinstance(annotations, dict) else None
    name = str(name) if name else digest or f"#{position}"
    size = descriptor.get("size")
    return CacheEntry(
        name=name,
        location=f"{INDEX}#{name}",
        size=size if isinstance(size, int) else 0,
        modified=modified,
        etag=digest,
        media_type=_media_type(descriptor) or None,
    )


def _entry_digest(entry: CacheEntry) -> Digest:
    from s3cache_cli.digest import InvalidDigest, parse_digest

    try:
        return parse_digest(entry.etag)
    except InvalidDigest as error:
        raise InvalidManifest(f"{entry.location}: {error}") from None


def _same(descriptor: object, entry: CacheEntry) -> bool:
    if not isinstance(descriptor, dict):
        return False
    annotations = descriptor.get("annotations") or {}
    name = annotations.get(REF_NAME) if isinstance(annotations, dict) else None
    return name == entry.name and descriptor.get("digest") == entry.etag


def _media_type(descriptor: object) -> str:
    if not isinstance(descriptor, dict):
        return ""
    return str(descriptor.get("mediaType") or "")


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    import os
    import tempfile

    data = json.dumps(document, separators=(",", ":")).encode()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".index.json.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _tree_size(path: Path) -> int:
    if not _real_dir(path):
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if _regular_file(p))


def _mtime(path: Path) -> datetime:
    return _stamp(path.stat().st_mtime)


def _stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
