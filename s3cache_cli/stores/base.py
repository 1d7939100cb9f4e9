"""The interface inspect and prune use, implemented for S3 and local layouts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from s3cache_cli.errors import OperationFailed

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
    media_type: str | None = None  # a local tag's manifest type; None in S3


@dataclass(frozen=True)
class BlobEntry:
    digest: Digest
    location: str  # the S3 key or the file path
    size: int
    modified: datetime


@dataclass(frozen=True)
class BlobRef:
    """A blob a cache names, as its manifest describes it."""

    digest: Digest
    size: int
    media_type: str


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

    def own_blobs(self, entry: CacheEntry) -> tuple[BlobRef, ...]:
        """Blobs holding the cache's manifest and config besides its layers.

        A local tag's image index or manifest and its config blob; none in S3,
        where the manifest is an object of its own. Raises InvalidManifest.
        """

    def iter_blobs(self) -> Iterator[BlobEntry]:
        """Every stored object or file whose name is a digest; others skipped."""

    def iter_foreign(self) -> Iterator[str]:
        """Objects or files under the blob area whose names are not digests."""

    def head_blob(self, digest: Digest) -> BlobEntry | None: ...

    def verify_blob(
        self,
        digest: Digest,
        size: int,
        *,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        """Read the blob and check digest and size; raises IntegrityError.

        ``on_bytes`` hears each chunk read, negative when a retry rolls back.
        """

    def delete_cache(self, entry: CacheEntry) -> bool:
        """Delete if unchanged since listed; False when it changed meanwhile."""

    def delete_blobs(self, blobs: Iterable[BlobEntry]) -> int:
        """How many were deleted; raises BlobDeleteError naming those refused."""

    def pending_uploads(self) -> Iterator[PendingUpload]: ...

    def abort_upload(self, upload: PendingUpload) -> None: ...


class BlobDeleteError(OperationFailed):
    """Some blobs could not be deleted; the others were."""

    def __init__(
        self, *, deleted: int, failures: tuple[tuple[str, str], ...], where: str
    ) -> None:
        shown = "; ".join(f"{location} ({reason})" for location, reason in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(
            f"{len(failures)} of {deleted + len(failures)} blobs could not be "
            f"deleted from {where}: {shown}{more}"
        )
        self.deleted = deleted
        self.failures = failures
