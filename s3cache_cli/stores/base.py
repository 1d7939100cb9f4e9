"""The interface inspect and prune use, implemented for S3 and local layouts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.digest import Digest


@dataclass(frozen=True)
class CacheEntry:
    """One cache: an S3 manifest object, or one tag of a local index.json."""

    name: str
    location: str  # the S3 key, or "index.json#<tag>" for a local layout
    size: int
    modified: datetime
    etag: str | None = None  # S3 ETag, or the manifest digest for a local tag


@dataclass(frozen=True)
class BlobEntry:
    digest: Digest
    location: str  # the S3 key or the file path
    size: int
    modified: datetime


@dataclass(frozen=True)
class PendingUpload:
    """An incomplete multipart upload (S3) or an ingest/ leftover (local)."""

    location: str
    upload_id: str
    started: datetime
    size: int = 0


class CacheStore(Protocol):
    description: str  # "s3://bucket/prefix" or the directory path

    def list_caches(self) -> Iterator[CacheEntry]:
        """Every cache in the store, without reading their manifests."""

    def read_cache(self, entry: CacheEntry) -> CacheConfig:
        """The cache's config in the S3 form; raises InvalidManifest."""

    def iter_blobs(self) -> Iterator[BlobEntry]:
        """Every stored object or file whose name is a digest; others skipped."""

    def iter_foreign(self) -> Iterator[str]:
        """Objects or files under the blob area whose names are not digests."""

    def head_blob(self, digest: Digest) -> BlobEntry | None: ...

    def verify_blob(self, digest: Digest, size: int) -> None:
        """Read the blob and check digest and size; raises IntegrityError."""

    def delete_cache(self, entry: CacheEntry) -> bool:
        """Delete if unchanged since listed; False when it changed meanwhile."""

    def delete_blobs(self, blobs: Iterable[BlobEntry]) -> int: ...

    def pending_uploads(self) -> Iterator[PendingUpload]: ...

    def abort_upload(self, upload: PendingUpload) -> None: ...
