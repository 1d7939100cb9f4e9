"""The cache store over a local OCI layout, as ``type=local,dest=DIR`` writes it.

Each tag of ``index.json`` is a cache; blobs are files ``blobs/<alg>/<hex>``;
``ingest/`` holds writes that never finished, and so do the hidden temporary
files a killed s3cache left beside a final name. Nothing here touches a path
it did not build from a validated digest or find by listing DIR itself, and
no symbolic link is followed out of DIR.
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
from typing import TYPE_CHECKING

from s3cache_cli.errors import (
    CacheNotFound,
    CredentialsError,
    IntegrityError,
    InvalidManifest,
    OperationFailed,
)
from s3cache_cli.oci import writer
from s3cache_cli.oci.layout import (
    PERMISSION_HINT,
    BadEntry,
    Descriptor,
    Index,
    OciLayout,
    split_manifest,
)
from s3cache_cli.oci.mediatypes import REF_NAME_ANNOTATION
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

INDEX = writer.INDEX_FILE
INGEST = "ingest"
CHUNK_SIZE = 1024 * 1024


class LocalStore:
    """``CacheStore`` over one OCI layout directory."""

    def __init__(self, root: Path, *, digest: Digest | None = None) -> None:
        self.layout = OciLayout(root)
        # With a digest, the store holds the one cache that digest names,
        # tagged or not, as ``--cache-from type=local,digest=`` reads it.
        self.digest = digest
        self.root = self.layout.root
        self.description = str(self.root)
        self._manifests: dict[str, _Manifest] = {}
        # Why each malformed entry of index.json cannot be read, by location.
        self._unusable: dict[str, str] = {}
        self._lock = threading.Lock()

    def list_caches(self) -> Iterator[CacheEntry]:
        """Every entry of index.json; a malformed one is listed too, and
        reading it raises InvalidManifest, as an unreadable S3 manifest does."""
        index = self.layout.read_index()
        written = _mtime(self.root / INDEX)
        if self.digest is not None:
            yield from self._digest_entry(self.digest, written)
            return
        for descriptor in index.entries:
            yield self._cache_entry(descriptor, written)
        for bad in index.bad:
            entry = _bad_cache_entry(bad, index, written)
            with self._lock:
                self._unusable[entry.location] = bad.reason
            yield entry

    def read_cache(self, entry: CacheEntry) -> CacheConfig:
        from s3cache_cli.cacheconfig import CacheConfig

        manifest = self._manifest(entry)
        config_bytes = self._read_blob(manifest.config, entry)
        layers = [layer.to_json() for layer in manifest.layers]
        source = f"{self.root / INDEX} tag {entry.name!r}"
        return CacheConfig.from_local(config_bytes, layers, source=source)

    def own_blobs(self, entry: CacheEntry) -> tuple[BlobRef, ...]:
        manifest = self._manifest(entry)
        return (manifest.ref, _blob_ref(manifest.config))

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
        with writer.index_lock(self.root):
            index = writer.read_index(self.root) or {}
            entries = index.get("manifests", [])
            kept = [item for item in entries if not _same(item, entry)]
            if len(kept) == len(entries):
                log.debug("%s changed since it was listed; kept", entry.location)
                return False

            document = writer.go_json({**index, "manifests": kept})
            writer.write_atomically(self.root / INDEX, document, mode=writer.FILE_MODE)
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
        """Leftovers in ingest/, and the temporary files of s3cache's own
        writes that a killed process left beside their final names."""
        for path in [*self._ingest_entries(), *self._temp_files()]:
            info = path.lstat()
            yield PendingUpload(
                location=str(path),
                upload_id=path.name,
                started=_stamp(info.st_mtime),
                size=_tree_size(path),
            )

    def abort_upload(self, upload: PendingUpload) -> None:
        path = Path(upload.location)
        if path.name != upload.upload_id or not self._may_hold_leftovers(path):
            raise OperationFailed(
                f"{path} is not an ingest leftover or a temporary file of {self.root}"
            )

        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        log.debug("removed leftover %s", path)

    def blob_path(self, digest: Digest) -> Path:
        """The file of a digest; only ever built from a validated Digest."""
        return self.root / "blobs" / digest.algorithm / digest.hex

    # Reading

    def _cache_entry(self, descriptor: Descriptor, written: datetime) -> CacheEntry:
        name = descriptor.tag or str(descriptor.digest)
        return CacheEntry(
            name=name,
            location=f"{INDEX}#{name}",
            size=descriptor.size,
            modified=self._tag_written(descriptor, written),
            etag=str(descriptor.digest),
            media_type=descriptor.media_type or None,
        )

    def _digest_entry(self, digest: Digest, written: datetime) -> Iterator[CacheEntry]:
        """The cache ``digest`` names, under the digest's name; none if absent."""
        name = str(digest)
        location = f"{INDEX}#{name}"
        try:
            descriptor = self.layout.resolve(digest=digest)
        except CacheNotFound:
            return
        except (InvalidManifest, IntegrityError) as error:
            with self._lock:
                self._unusable[location] = f"{location}: {error.message}"
            yield CacheEntry(name=name, location=location, size=0, modified=written)
            return

        entry = self._cache_entry(descriptor, written)
        yield dataclasses.replace(entry, name=name, location=location)

    def _tag_written(self, descriptor: Descriptor, index_written: datetime) -> datetime:
        """When the tag was last written, or a later time: never an earlier one.

        Rewriting a tag whose manifest blob exists leaves the blob's time
        alone, so that time alone may be far older than the tag. s3cache
        records the time on the entries it writes; an entry BuildKit wrote
        carries none, and was written no later than index.json last changed.
        """
        # TODO: in a directory BuildKit writes more often than --filter until,
        # its own tags never age. Recording index.json's time on such entries
        # when a real prune first sees them would fix it without erring old.
        path = self.blob_path(descriptor.digest)
        times = [_mtime(path)] if _regular_file(path) else []
        recorded = descriptor.written
        times.append(index_written if recorded is None else recorded)
        return max(times)

    def _manifest(self, entry: CacheEntry) -> _Manifest:
        with self._lock:
            cached = self._manifests.get(entry.location)
            unusable = self._unusable.get(entry.location)
        if unusable is not None:
            raise InvalidManifest(unusable)  # it names the entry already
        if cached is not None:
            return cached

        manifest = self._load_manifest(entry)
        with self._lock:
            self._manifests[entry.location] = manifest
        return manifest

    def _load_manifest(self, entry: CacheEntry) -> _Manifest:
        ref = BlobRef(_entry_digest(entry), entry.size, entry.media_type or "")
        data = self._read_blob(_descriptor(ref), entry)
        try:
            document = json.loads(data)
        except ValueError as error:
            raise InvalidManifest(f"{entry.location}: not JSON: {error}") from error

        config, layers = split_manifest(document, entry.location)
        return _Manifest(ref, config, layers)

    def _read_blob(self, descriptor: Descriptor, entry: CacheEntry) -> bytes:
        """A manifest or config blob, checked; a damaged one makes the tag invalid."""
        try:
            return self.layout.read_blob(descriptor.digest, size=descriptor.size)
        except IntegrityError as error:
            raise InvalidManifest(f"{entry.location}: {error.message}") from None

    # Leftovers

    def _ingest_entries(self) -> list[Path]:
        ingest = self.root / INGEST
        if not _real_dir(ingest):
            return []
        return _listing(ingest)

    def _temp_files(self) -> list[Path]:
        from s3cache_cli.s3.download import is_temp_name

        return [
            path
            for folder in self._written_folders()
            for path in _listing(folder)
            if is_temp_name(path.name) and _regular_file(path)
        ]

    def _written_folders(self) -> list[Path]:
        """Where s3cache writes files by rename: the root and blobs/<alg>/."""
        from s3cache_cli.digest import HEX_LENGTHS

        blobs = self.root / "blobs"
        folders = [blobs / name for name in HEX_LENGTHS if _real_dir(blobs / name)]
        root = [self.root] if self.root.is_dir() else []
        return [*root, *folders] if _real_dir(blobs) else root

    def _may_hold_leftovers(self, path: Path) -> bool:
        from s3cache_cli.s3.download import is_temp_name

        if path.parent == self.root / INGEST:
            return True
        return path.parent in self._written_folders() and is_temp_name(path.name)

    def _blob_files(self) -> Iterator[tuple[Path, Digest | None]]:
        """Every entry under blobs/, with its digest when its path is one."""
        from s3cache_cli.digest import HEX_LENGTHS, Digest, InvalidDigest
        from s3cache_cli.s3.download import is_temp_name

        blobs = self.root / "blobs"
        if not blobs.is_dir() or blobs.is_symlink():
            return
        for folder in _listing(blobs):
            if folder.name not in HEX_LENGTHS or not _real_dir(folder):
                yield folder, None
                continue
            for path in _listing(folder):
                if is_temp_name(path.name):
                    continue  # a write in progress, or a leftover of one
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

    def __init__(
        self, ref: BlobRef, config: Descriptor, layers: list[Descriptor]
    ) -> None:
        self.ref = ref
        self.config = config
        self.layers = layers


def _bad_cache_entry(bad: BadEntry, index: Index, written: datetime) -> CacheEntry:
    """A malformed entry, named by its tag when no other entry has that tag."""
    same_tag = [item for item in index.items if item.tag == bad.tag]
    name = bad.tag if bad.tag and len(same_tag) == 1 else bad.label
    return CacheEntry(
        name=name, location=f"{INDEX}#{bad.label}", size=0, modified=written
    )


def _entry_digest(entry: CacheEntry) -> Digest:
    from s3cache_cli.digest import InvalidDigest, parse_digest

    try:
        return parse_digest(entry.etag)
    except InvalidDigest as error:
        raise InvalidManifest(f"{entry.location}: {error}") from None


def _same(item: object, entry: CacheEntry) -> bool:
    """The index.json entry the cache was listed from, unchanged."""
    if not isinstance(item, dict):
        return False
    annotations = item.get("annotations")
    tag = None
    if isinstance(annotations, dict):
        tag = annotations.get(REF_NAME_ANNOTATION)
    return (tag or item.get("digest")) == entry.name and (
        item.get("digest") == entry.etag
    )


def _descriptor(ref: BlobRef) -> Descriptor:
    return Descriptor(ref.media_type, ref.digest, ref.size)


def _blob_ref(descriptor: Descriptor) -> BlobRef:
    return BlobRef(descriptor.digest, descriptor.size, descriptor.media_type)


def _listing(folder: Path) -> list[Path]:
    """The entries of a folder of the layout, in name order."""
    try:
        return sorted(folder.iterdir())
    except PermissionError:
        raise CredentialsError(
            f"cannot list {folder}: permission denied",
            hint=PERMISSION_HINT,
        ) from None


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
