"""Everything one ``inspect`` run found, and its ``--json`` document.

The human rendering (``inspect.render``) and the JSON document show the same
facts; the document adds exact numbers and full keys where a table rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from s3cache_cli.inspect.check import CheckReport
from s3cache_cli.inspect.report import (
    CacheReport,
    InvalidCache,
    Inventory,
    StorageReport,
    layer_sharers,
    sharing,
)
from s3cache_cli.stores.base import BlobRef, CacheEntry, PendingUpload

IMAGE_INDEX = "image index"
IMAGE_MANIFEST = "image manifest"


@dataclass(frozen=True)
class InspectResult:
    location: str  # the store's description
    spec: dict[str, Any]  # secrets masked
    inventory: Inventory  # every cache in the store
    shown: Inventory  # the caches this run describes
    named: bool  # names were given: describe each cache in detail
    missing: tuple[str, ...]
    storage: StorageReport | None
    check: CheckReport | None
    now: datetime

    def others(self, cache: CacheReport) -> tuple[CacheReport, ...]:
        return tuple(c for c in self.inventory.caches if c.name != cache.name)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "store": {"location": self.location, "spec": self.spec},
            "caches": [self._cache(cache) for cache in self.shown.caches],
            "invalid": [self._invalid(cache) for cache in self.shown.invalid],
            "missing": list(self.missing),
        }
        if self.storage is not None:
            document["storage"] = _storage(self.storage, self.now)
        if self.check is not None:
            document["check"] = _check(self.check)
        return document

    def _cache(self, cache: CacheReport) -> dict[str, Any]:
        others = self.others(cache)
        return {
            **_entry(cache.entry, self.now),
            "layer_count": len(cache.layers),
            "record_count": cache.records,
            "blob_count": len(cache.blobs),
            "bytes": cache.total_bytes,
            "layers": [
                {
                    "digest": str(row.digest),
                    "media_type": row.media_type,
                    "size": row.size,
                    "created": row.created,
                    "shared_with": list(layer_sharers(row.digest, cache, others)),
                }
                for row in cache.layers
            ],
            "own_blobs": [_blob_ref(blob) for blob in cache.own],
            "shared_with": [
                {"cache": s.other, "blobs": s.blobs, "bytes": s.bytes}
                for s in sharing(cache, others)
            ],
        }

    def _invalid(self, cache: InvalidCache) -> dict[str, Any]:
        return {**_entry(cache.entry, self.now), "reason": cache.reason}


def form_of(media_type: str | None) -> str | None:
    """ "image index" or "image manifest" for a local tag; None in S3."""
    from s3cache_cli.oci.mediatypes import INDEX_TYPES, MANIFEST_TYPES

    if media_type in INDEX_TYPES:
        return IMAGE_INDEX
    if media_type in MANIFEST_TYPES:
        return IMAGE_MANIFEST
    return None if media_type is None else media_type


def age_seconds(moment: datetime, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds())


def _entry(entry: CacheEntry, now: datetime) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": entry.name,
        "location": entry.location,
        "last_modified": entry.modified.isoformat(),
        "age_seconds": round(age_seconds(entry.modified, now)),
        "manifest_bytes": entry.size,
    }
    if entry.media_type is not None:
        document["media_type"] = entry.media_type
        document["form"] = form_of(entry.media_type)
    return document


def _blob_ref(blob: BlobRef) -> dict[str, Any]:
    digest, media_type, size = str(blob.digest), blob.media_type, blob.size
    return {"digest": digest, "media_type": media_type, "size": size}


def _storage(storage: StorageReport, now: datetime) -> dict[str, Any]:
    return {
        "blobs": storage.blobs,
        "bytes": storage.bytes,
        "unreferenced_blobs": storage.unreferenced,
        "unreferenced_bytes": storage.unreferenced_bytes,
        "absent_blobs": [str(digest) for digest in storage.absent],
        "foreign": list(storage.foreign),
        "pending_uploads": [_pending(upload, now) for upload in storage.pending],
    }


def _pending(upload: PendingUpload, now: datetime) -> dict[str, Any]:
    return {
        "location": upload.location,
        "upload_id": upload.upload_id,
        "started": upload.started.isoformat(),
        "age_seconds": round(age_seconds(upload.started, now)),
        "bytes": upload.size,
    }


def _check(check: CheckReport) -> dict[str, Any]:
    return {
        "deep": check.deep,
        "blobs": check.blobs,
        "bytes": check.bytes,
        "ok": check.ok,
        "problems": [
            {
                "digest": str(problem.digest),
                "problem": problem.kind,
                "detail": problem.detail,
                "caches": list(problem.caches),
            }
            for problem in check.problems
        ],
    }
