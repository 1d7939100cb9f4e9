"""Carry out a prune against any ``CacheStore``: read, choose, delete, sweep.

The order is what makes it safe while others write (see the README's "Why
it is safe"):

1. Read every manifest. One that cannot be read or validated may name any
   blob, so it stops everything before the first delete.
2. Delete the chosen caches, each only if it is still the version read.
3. List the caches again and read the new or rewritten ones: a cache written
   during the prune protects its blobs like any other.
4. Sweep: delete blobs no remaining cache names and older than the grace
   period, streaming the listing; then abort stale unfinished uploads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from s3cache_cli.errors import CacheNotFound, CredentialsError, OperationFailed
from s3cache_cli.prune.plan import (
    BlobBook,
    CacheChoice,
    CacheRefs,
    Rules,
    SweepSummary,
    choose_caches,
    compare_listing,
    plan_sweep,
    referenced_keys,
    same_version,
    stale_uploads,
)
from s3cache_cli.s3.transfer import CancelToken, run_parallel

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheLayer
    from s3cache_cli.stores.base import (
        BlobEntry,
        CacheEntry,
        CacheStore,
        PendingUpload,
    )

log = logging.getLogger(__name__)

READ_PARALLELISM = 8
# Blobs handed to the store per delete call: a few DeleteObjects batches of
# 1000 that it sends in parallel, while the listing waits.
DELETE_CHUNK = 4000


class UnreadableCaches(OperationFailed):
    """Manifests prune cannot read or validate; nothing at all is deleted."""

    def __init__(self, failures: Sequence[tuple[CacheEntry, str]]) -> None:
        names = ", ".join(entry.name for entry, _ in failures)
        reasons = "; ".join(reason for _, reason in failures[:3])
        super().__init__(
            f"cannot read the cache manifest of {names}: {reasons}; any blob may "
            f"belong to it, so prune stopped before deleting any blob",
            hint="fix or delete that manifest yourself, then run prune again",
        )
        self.failures = tuple(failures)


class PruneEvents(Protocol):
    """What the user interface hears while a prune runs."""

    def cache_deleted(self, entry: CacheEntry) -> None: ...

    def cache_changed(self, entry: CacheEntry) -> None: ...

    def blob_deleted(self, blob: BlobEntry) -> None: ...

    def upload_aborted(self, upload: PendingUpload) -> None: ...


class NoEvents:
    def cache_deleted(self, entry: CacheEntry) -> None:
        pass

    def cache_changed(self, entry: CacheEntry) -> None:
        pass

    def blob_deleted(self, blob: BlobEntry) -> None:
        pass

    def upload_aborted(self, upload: PendingUpload) -> None:
        pass


@dataclass(frozen=True)
class PruneReport:
    dry_run: bool
    caches_deleted: tuple[CacheEntry, ...]
    caches_changed: tuple[CacheEntry, ...]  # chosen, but rewritten: kept
    caches_kept: tuple[str, ...]
    missing: tuple[str, ...]  # names given that no cache has
    kept_bytes: int  # what the kept caches name, each blob once
    over_limit: bool  # --keep-storage could not be met
    sweep: SweepSummary
    uploads_aborted: int
    upload_bytes: int

    @property
    def caches_present(self) -> tuple[str, ...]:
        """The caches in the store once prune is done; a dry run deleted none."""
        if not self.dry_run:
            return self.caches_kept
        deleted = (entry.name for entry in self.caches_deleted)
        return tuple(sorted({*self.caches_kept, *deleted}))


class Pruner:
    """One prune run over one store, at one moment (``now``)."""

    def __init__(
        self,
        store: CacheStore,
        rules: Rules,
        *,
        grace: timedelta,
        now: datetime,
        events: PruneEvents | None = None,
    ) -> None:
        self.store = store
        self.rules = rules
        self.now = now
        self.cutoff = now - grace
        self.events: PruneEvents = events or NoEvents()
        self.book = BlobBook()

    def choose(self) -> CacheChoice:
        """Read every cache and decide which go; raises ``UnreadableCaches``."""
        caches = self._read_all(list(self.store.list_caches()))
        return choose_caches(caches, self.rules, now=self.now, sizes=self.book.sizes)

    def preview(self, choice: CacheChoice) -> SweepSummary:
        """What the sweep would delete now, for a question before deleting."""
        referenced = referenced_keys(choice.keep)
        return plan_sweep(
            self.store.iter_blobs(), referenced=referenced, cutoff=self.cutoff
        )

    def dry_run(self, choice: CacheChoice) -> PruneReport:
        for cache in choice.delete:
            self.events.cache_deleted(cache.entry)
        referenced = referenced_keys(choice.keep)
        sweep = plan_sweep(
            self.store.iter_blobs(),
            referenced=referenced,
            cutoff=self.cutoff,
            on_delete=self.events.blob_deleted,
        )

        uploads = list(stale_uploads(self.store.pending_uploads(), cutoff=self.cutoff))
        for upload in uploads:
            self.events.upload_aborted(upload)
        return _report(
            choice,
            deleted=tuple(cache.entry for cache in choice.delete),
            changed=(),
            kept=choice.keep,
            sweep=sweep,
            uploads=uploads,
            dry_run=True,
        )

    def run(self, choice: CacheChoice) -> PruneReport:
        """Delete the chosen caches, then sweep what no remaining cache names."""
        deleted, changed = self._delete_caches(choice.delete)

        known = {cache.name: cache for cache in (*choice.keep, *changed)}
        remaining = self._refresh(known)

        sweep = self._sweep(referenced_keys(remaining))
        uploads = self._abort_stale_uploads()
        return _report(
            choice,
            deleted=deleted,
            changed=changed,
            kept=remaining,
            sweep=sweep,
            uploads=uploads,
            dry_run=False,
        )

    # Reading

    def _read_all(self, entries: list[CacheEntry]) -> list[CacheRefs]:
        caches, failures = self._read_each(entries)
        if failures:
            # A manifest deleted or rewritten by someone else while we read it
            # is no fault of its own: look again before calling it unreadable.
            more, failures = self._read_again(failures)
            caches += more
        if failures:
            raise UnreadableCaches(failures)

        return caches

    def _read_each(
        self, entries: list[CacheEntry]
    ) -> tuple[list[CacheRefs], list[tuple[CacheEntry, str]]]:
        outcomes = run_parallel(entries, self._read_one, parallelism=READ_PARALLELISM)
        caches = [found for found in outcomes if isinstance(found, CacheRefs)]
        failures = [found for found in outcomes if isinstance(found, tuple)]
        return caches, failures

    def _read_one(
        self, entry: CacheEntry, cancel: CancelToken
    ) -> CacheRefs | tuple[CacheEntry, str]:
        try:
            config = self.store.read_cache(entry)
            own = self.store.own_blobs(entry)
        except CredentialsError:
            raise
        except (OperationFailed, CacheNotFound) as error:
            log.debug("cannot read %s: %s", entry.location, error)
            return entry, error.message

        layers = [(layer.blob, _layer_size(layer)) for layer in config.layers]
        named = [*layers, *((blob.digest, blob.size) for blob in own)]
        return self.book.refs(entry, named)

    def _read_again(
        self, failures: list[tuple[CacheEntry, str]]
    ) -> tuple[list[CacheRefs], list[tuple[CacheEntry, str]]]:
        now_listed = {entry.name: entry for entry in self.store.list_caches()}
        stuck, retry = [], []
        for entry, reason in failures:
            current = now_listed.get(entry.name)
            if current is None:
                log.debug("%s was deleted while prune read it", entry.location)
            elif same_version(entry, current):
                stuck.append((entry, reason))
            else:
                retry.append(current)

        caches, failed = self._read_each(retry)
        return caches, stuck + failed

    # Deleting

    def _delete_caches(
        self, doomed: Iterable[CacheRefs]
    ) -> tuple[tuple[CacheEntry, ...], tuple[CacheRefs, ...]]:
        doomed = list(doomed)
        outcomes = run_parallel(
            doomed,
            lambda cache, _: self.store.delete_cache(cache.entry),
            parallelism=READ_PARALLELISM,
        )

        deleted, changed = [], []
        for cache, gone in zip(doomed, outcomes, strict=True):
            if gone:
                deleted.append(cache.entry)
                self.events.cache_deleted(cache.entry)
            else:
                changed.append(cache)
                self.events.cache_changed(cache.entry)
        return tuple(deleted), tuple(changed)

    def _refresh(self, known: dict[str, CacheRefs]) -> list[CacheRefs]:
        """The caches as they are now: those unchanged reused, the others read."""
        refresh = compare_listing(self.store.list_caches(), known)
        for entry in refresh.to_read:
            log.debug("%s is new or changed since it was read", entry.location)

        fresh = self._read_all(list(refresh.to_read))
        return [*refresh.unchanged, *fresh]

    def _sweep(self, referenced: set[bytes]) -> SweepSummary:
        deleter = _ChunkedDeleter(self.store, self.events)
        summary = plan_sweep(
            self.store.iter_blobs(),
            referenced=referenced,
            cutoff=self.cutoff,
            on_delete=deleter.add,
        )
        deleter.flush()
        return summary

    def _abort_stale_uploads(self) -> list[PendingUpload]:
        # Listed in full first: aborting while paging may shift the pages.
        stale = list(stale_uploads(self.store.pending_uploads(), cutoff=self.cutoff))
        for upload in stale:
            self.store.abort_upload(upload)
            self.events.upload_aborted(upload)

        return stale


def _report(
    choice: CacheChoice,
    *,
    deleted: tuple[CacheEntry, ...],
    changed: Sequence[CacheRefs],
    kept: Iterable[CacheRefs],
    sweep: SweepSummary,
    uploads: list[PendingUpload],
    dry_run: bool,
) -> PruneReport:
    return PruneReport(
        dry_run=dry_run,
        caches_deleted=deleted,
        caches_changed=tuple(cache.entry for cache in changed),
        caches_kept=tuple(sorted(cache.name for cache in kept)),
        missing=choice.missing,
        kept_bytes=choice.kept_bytes,
        over_limit=choice.over_limit,
        sweep=sweep,
        uploads_aborted=len(uploads),
        upload_bytes=sum(upload.size for upload in uploads),
    )


class _ChunkedDeleter:
    """Collect blobs to delete and hand them to the store a chunk at a time."""

    def __init__(self, store: CacheStore, events: PruneEvents) -> None:
        self.store = store
        self.events = events
        self.pending: list[BlobEntry] = []

    def add(self, blob: BlobEntry) -> None:
        self.pending.append(blob)
        if len(self.pending) >= DELETE_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return

        chunk, self.pending = self.pending, []
        self.store.delete_blobs(chunk)
        for blob in chunk:
            self.events.blob_deleted(blob)


def _layer_size(layer: CacheLayer) -> int:
    # A local cache config keeps sizes on its descriptors; the store's S3
    # form carries them, and a layer without one counts as empty.
    return layer.annotations.size if layer.annotations is not None else 0
