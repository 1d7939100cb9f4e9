"""Read every cache of a store and describe it: layers, records, bytes, sharing.

``read_inventory`` reads each manifest once; an unreadable one becomes an
``InvalidCache`` with its reason instead of stopping the whole listing.
``storage_report`` compares what is stored with what the caches name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s3cache_cli.errors import InvalidManifest
from s3cache_cli.s3.transfer import CancelToken, run_parallel
from s3cache_cli.stores.base import BlobRef, CacheEntry, PendingUpload

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig, CacheLayer
    from s3cache_cli.digest import Digest
    from s3cache_cli.stores.base import CacheStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerRow:
    digest: Digest
    media_type: str | None
    size: int | None  # None when the manifest does not say
    created: str | None


@dataclass(frozen=True)
class CacheReport:
    """One readable cache: its layers, and the blobs of its own manifest."""

    entry: CacheEntry
    layers: tuple[LayerRow, ...]
    records: int
    own: tuple[BlobRef, ...] = ()

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def blobs(self) -> tuple[LayerRow | BlobRef, ...]:
        """Every blob it names once: layers in order, then its own."""
        distinct: dict[Digest, LayerRow | BlobRef] = {}
        for blob in (*self.layers, *self.own):
            distinct.setdefault(blob.digest, blob)
        return tuple(distinct.values())

    @property
    def digests(self) -> frozenset[Digest]:
        return frozenset(blob.digest for blob in self.blobs)

    @property
    def layer_blobs(self) -> tuple[LayerRow, ...]:
        """Its layer blobs, each once: what a cache holds in S3 and locally."""
        distinct: dict[Digest, LayerRow] = {}
        for row in self.layers:
            distinct.setdefault(row.digest, row)
        return tuple(distinct.values())

    @property
    def total_bytes(self) -> int:
        """Its layer blobs, each once; a blob of unknown size counts 0.

        A local tag's manifest and config blobs are left out: in S3 they are
        one manifest object, which no cache's bytes count either, so the same
        cache shows the same bytes in both stores.
        """
        return sum(blob.size or 0 for blob in self.layer_blobs)


@dataclass(frozen=True)
class InvalidCache:
    """A cache whose manifest BuildKit would refuse, or that is not JSON."""

    entry: CacheEntry
    reason: str

    @property
    def name(self) -> str:
        return self.entry.name


@dataclass(frozen=True)
class Inventory:
    caches: tuple[CacheReport, ...]
    invalid: tuple[InvalidCache, ...]

    def names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.caches) | {c.name for c in self.invalid}

    def select(self, names: Sequence[str]) -> Inventory:
        """Only the named caches, in the order named."""
        wanted = list(dict.fromkeys(names))
        return Inventory(
            caches=tuple(c for n in wanted for c in self.caches if c.name == n),
            invalid=tuple(c for n in wanted for c in self.invalid if c.name == n),
        )

    def missing(self, names: Sequence[str]) -> tuple[str, ...]:
        known = self.names()
        return tuple(n for n in dict.fromkeys(names) if n not in known)

    def referenced(self) -> frozenset[Digest]:
        return frozenset(d for cache in self.caches for d in cache.digests)


@dataclass(frozen=True)
class Sharing:
    """Blobs a cache has in common with another cache."""

    other: str
    blobs: int
    bytes: int


@dataclass(frozen=True)
class StorageReport:
    blobs: int
    bytes: int
    unreferenced: int
    unreferenced_bytes: int
    absent: tuple[Digest, ...]  # named by a cache but not stored
    foreign: tuple[str, ...]  # under the blob area, but not named as a digest
    pending: tuple[PendingUpload, ...]


def read_inventory(store: CacheStore, *, parallelism: int = 4) -> Inventory:
    """Every cache of the store, read and checked, in name order."""
    entries = sorted(store.list_caches(), key=lambda entry: entry.name)

    def read(entry: CacheEntry, cancel: CancelToken) -> CacheReport | InvalidCache:
        return read_one(store, entry)

    results = run_parallel(entries, read, parallelism=parallelism)
    return Inventory(
        caches=tuple(r for r in results if isinstance(r, CacheReport)),
        invalid=tuple(r for r in results if isinstance(r, InvalidCache)),
    )


def read_one(store: CacheStore, entry: CacheEntry) -> CacheReport | InvalidCache:
    try:
        config = store.read_cache(entry)
        check_convertible(config)
        own = store.own_blobs(entry)
    except InvalidManifest as error:
        log.debug("%s is invalid: %s", entry.location, error.message)
        return InvalidCache(entry, _reason(error.message, entry))

    return cache_report(entry, config, own)


def check_convertible(config: CacheConfig) -> None:
    """Refuse what import and export refuse, by converting as they do.

    Reading checks what BuildKit checks on any config; moving a cache also
    needs each layer's media type, size and diffID, which only the S3 form
    and the local descriptors carry. Import's conversion goes first, so a
    reason reads as import would give it.
    """
    config.layer_descriptors()
    config.to_s3_bytes()


def cache_report(
    entry: CacheEntry, config: CacheConfig, own: Sequence[BlobRef] = ()
) -> CacheReport:
    layers = tuple(_layer_row(layer) for layer in config.layers)
    return CacheReport(entry, layers, len(config.records), tuple(own))


def sharing(cache: CacheReport, others: Iterable[CacheReport]) -> tuple[Sharing, ...]:
    """The other caches that name any of this cache's blobs."""
    shared = []
    for other in others:
        if other.name == cache.name:
            continue
        common = [b for b in cache.layer_blobs if b.digest in other.digests]
        if common:
            size = sum(b.size or 0 for b in common)
            shared.append(Sharing(other.name, len(common), size))
    return tuple(shared)


def layer_sharers(
    digest: Digest, cache: CacheReport, others: Iterable[CacheReport]
) -> tuple[str, ...]:
    return tuple(o.name for o in others if o.name != cache.name and digest in o.digests)


def storage_report(store: CacheStore, inventory: Inventory) -> StorageReport:
    """What the store holds compared with what the readable caches name.

    While any cache is invalid, "unreferenced" cannot be known for sure: the
    blobs it would name are among them. The report still counts them.
    """
    referenced = inventory.referenced()
    blobs = list(store.iter_blobs())
    stored = {blob.digest for blob in blobs}
    orphans = [blob for blob in blobs if blob.digest not in referenced]

    return StorageReport(
        blobs=len(blobs),
        bytes=sum(blob.size for blob in blobs),
        unreferenced=len(orphans),
        unreferenced_bytes=sum(blob.size for blob in orphans),
        absent=tuple(sorted(referenced - stored, key=str)),
        foreign=tuple(sorted(store.iter_foreign())),
        pending=tuple(sorted(store.pending_uploads(), key=lambda u: u.started)),
    )


def _layer_row(layer: CacheLayer) -> LayerRow:
    annotations = layer.annotations
    if annotations is None:
        return LayerRow(layer.blob, None, None, None)

    return LayerRow(
        digest=layer.blob,
        media_type=annotations.media_type,
        size=annotations.size,
        created=annotations.created_at,
    )


def _reason(message: str, entry: CacheEntry) -> str:
    """The reason alone: the report already names the cache and where it is."""
    head, found, rest = message.partition(f"{entry.location}: ")
    return rest if found and " " not in head else message
