"""What prune deletes, decided without any I/O.

The planner sees caches (each with the blobs its manifest names), the rules
the user gave, and a stream of stored blobs. It never holds the listing: a
blob is judged as it streams past, so memory grows with the number of blobs
the caches name, kept as raw digest bytes (32 for sha256, 64 for sha512;
the lengths differ, so one set holds both algorithms without collisions).

Both stores use this one planner: an S3 bucket and a local OCI layout differ
only in how they list, read and delete.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from s3cache_cli.prune.filters import Filters

if TYPE_CHECKING:
    from s3cache_cli.digest import Digest
    from s3cache_cli.stores.base import BlobEntry, CacheEntry, PendingUpload

BlobKey = bytes


def blob_key(digest: Digest) -> BlobKey:
    """The compact form of a digest the planner keeps in its sets."""
    return bytes.fromhex(digest.hex)


@dataclass(frozen=True)
class CacheRefs:
    """A cache and the blobs its manifest names (their compact keys, once each)."""

    entry: CacheEntry
    blobs: tuple[BlobKey, ...]

    @property
    def name(self) -> str:
        return self.entry.name


class BlobBook:
    """The size of every blob the caches name, each digest's bytes stored once.

    Many caches share most of their blobs; interning the keys makes each
    further mention cost one pointer. Safe to fill from several threads:
    every step is a single dict operation.
    """

    def __init__(self) -> None:
        self._keys: dict[BlobKey, BlobKey] = {}
        self.sizes: dict[BlobKey, int] = {}

    def refs(self, entry: CacheEntry, blobs: Iterable[tuple[Digest, int]]) -> CacheRefs:
        """Record what ``entry`` names: pairs of digest and size in bytes."""
        keys = dict.fromkeys(self._intern(digest, size) for digest, size in blobs)
        return CacheRefs(entry, tuple(keys))

    def _intern(self, digest: Digest, size: int) -> BlobKey:
        fresh = blob_key(digest)
        key = self._keys.setdefault(fresh, fresh)
        # A manifest without a layer's size says 0; any other one knows better.
        if size > self.sizes.get(key, -1):
            self.sizes[key] = size
        return key


@dataclass(frozen=True)
class Rules:
    """Which caches to delete, as the user said it."""

    names: tuple[str, ...] = ()  # name= written in the spec; empty when not
    filters: Filters = field(default_factory=Filters)
    everything: bool = False  # --all
    keep_storage: int | None = None  # --keep-storage, in bytes

    @property
    def selects_caches(self) -> bool:
        """False when prune only sweeps: no rule here names any cache to delete."""
        by_rule = self.names or self.everything or self.filters.until is not None
        return bool(by_rule) or self.keep_storage is not None

    def is_candidate(self, name: str) -> bool:
        """A cache these rules may delete, by its name alone."""
        if self.names and name not in self.names:
            return False

        return self.filters.matches_name(name)


@dataclass(frozen=True)
class CacheChoice:
    delete: tuple[CacheRefs, ...]
    keep: tuple[CacheRefs, ...]
    missing: tuple[str, ...]  # names given explicitly that no cache has
    kept_bytes: int  # what the kept caches name, each blob counted once
    over_limit: bool  # --keep-storage could not be met by the allowed caches


def choose_caches(
    caches: Sequence[CacheRefs],
    rules: Rules,
    *,
    now: datetime,
    sizes: Mapping[BlobKey, int],
) -> CacheChoice:
    """Split the caches into those to delete and those to keep."""
    doomed = [cache for cache in caches if _doomed_by_rule(cache, rules, now)]
    doomed_names = {cache.name for cache in doomed}
    remaining = [cache for cache in caches if cache.name not in doomed_names]

    usage = StorageUsage(remaining, sizes)
    if rules.keep_storage is not None:
        allowed = [cache for cache in remaining if rules.is_candidate(cache.name)]
        doomed += usage.shrink_to(rules.keep_storage, oldest_first(allowed))

    doomed_names = {cache.name for cache in doomed}
    keep = tuple(cache for cache in caches if cache.name not in doomed_names)
    present = {cache.name for cache in caches}
    over = rules.keep_storage is not None and usage.total > rules.keep_storage
    return CacheChoice(
        delete=tuple(doomed),
        keep=keep,
        missing=tuple(name for name in rules.names if name not in present),
        kept_bytes=usage.total,
        over_limit=over,
    )


def _doomed_by_rule(cache: CacheRefs, rules: Rules, now: datetime) -> bool:
    explicit = rules.names or rules.everything or rules.filters.until is not None
    if not explicit or not rules.is_candidate(cache.name):
        return False

    until = rules.filters.until
    return until is None or now - cache.entry.modified >= until


def oldest_first(caches: Iterable[CacheRefs]) -> list[CacheRefs]:
    """Least recently modified first; the name breaks ties so runs agree."""
    return sorted(caches, key=lambda cache: (cache.entry.modified, cache.name))


class StorageUsage:
    """The bytes a set of caches names, a blob shared by several counted once."""

    def __init__(self, caches: Iterable[CacheRefs], sizes: Mapping[BlobKey, int]):
        self._sizes = sizes
        self._users: Counter[BlobKey] = Counter()
        for cache in caches:
            self._users.update(cache.blobs)
        self.total = sum(sizes.get(key, 0) for key in self._users)

    def remove(self, cache: CacheRefs) -> None:
        for key in cache.blobs:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                self.total -= self._sizes.get(key, 0)

    def shrink_to(self, limit: int, candidates: Iterable[CacheRefs]) -> list[CacheRefs]:
        """Remove candidates in order until the total fits; returns those removed."""
        removed = []
        for cache in candidates:
            if self.total <= limit:
                break
            self.remove(cache)
            removed.append(cache)

        return removed


def referenced_keys(caches: Iterable[CacheRefs]) -> set[BlobKey]:
    """Every blob the caches name: what the sweep must never delete."""
    keys: set[BlobKey] = set()
    for cache in caches:
        keys.update(cache.blobs)

    return keys


@dataclass(frozen=True)
class Refresh:
    """How a new listing of the caches compares with what prune read before."""

    unchanged: tuple[CacheRefs, ...]
    to_read: tuple[CacheEntry, ...]  # new, rewritten, or recreated after delete


def compare_listing(
    listing: Iterable[CacheEntry], known: Mapping[str, CacheRefs]
) -> Refresh:
    """Which caches of a fresh listing must be read again before the sweep.

    ``known`` holds the caches prune read and kept; a cache it deleted is not
    in it, so one written again under the same name is read like a new one.
    """
    unchanged: list[CacheRefs] = []
    to_read: list[CacheEntry] = []
    for entry in listing:
        before = known.get(entry.name)
        if before is not None and same_version(before.entry, entry):
            unchanged.append(before)
        else:
            to_read.append(entry)

    return Refresh(tuple(unchanged), tuple(to_read))


def same_version(before: CacheEntry, after: CacheEntry) -> bool:
    """The same manifest bytes, as far as a listing can tell."""
    if before.etag is not None and after.etag is not None:
        return before.etag == after.etag and before.location == after.location

    return (before.location, before.size, before.modified) == (
        after.location,
        after.size,
        after.modified,
    )


class Verdict(Enum):
    REFERENCED = "referenced"  # a remaining cache names it
    GRACE = "grace"  # garbage, but too young: an export may be about to name it
    DELETE = "delete"


def judge(blob: BlobEntry, *, referenced: set[BlobKey], cutoff: datetime) -> Verdict:
    """What the sweep does with one stored blob."""
    if blob_key(blob.digest) in referenced:
        return Verdict.REFERENCED
    if blob.modified > cutoff:
        return Verdict.GRACE

    return Verdict.DELETE


@dataclass(frozen=True)
class SweepSummary:
    listed: int = 0
    referenced: int = 0
    deleted: int = 0
    deleted_bytes: int = 0
    grace: int = 0  # garbage kept only because it is younger than the grace
    grace_bytes: int = 0


def plan_sweep(
    blobs: Iterable[BlobEntry],
    *,
    referenced: set[BlobKey],
    cutoff: datetime,
    on_delete: Callable[[BlobEntry], None] | None = None,
) -> SweepSummary:
    """Judge every blob of the stream; ``on_delete`` gets each one to delete.

    Nothing of the stream is kept, so a listing of millions of objects costs
    only the ``referenced`` set.
    """
    tally = _Tally()
    for blob in blobs:
        verdict = judge(blob, referenced=referenced, cutoff=cutoff)
        tally.add(verdict, blob.size)
        if verdict is Verdict.DELETE and on_delete is not None:
            on_delete(blob)

    return tally.summary()


class _Tally:
    def __init__(self) -> None:
        self.counts = dict.fromkeys(Verdict, 0)
        self.bytes = dict.fromkeys(Verdict, 0)

    def add(self, verdict: Verdict, size: int) -> None:
        self.counts[verdict] += 1
        self.bytes[verdict] += size

    def summary(self) -> SweepSummary:
        return SweepSummary(
            listed=sum(self.counts.values()),
            referenced=self.counts[Verdict.REFERENCED],
            deleted=self.counts[Verdict.DELETE],
            deleted_bytes=self.bytes[Verdict.DELETE],
            grace=self.counts[Verdict.GRACE],
            grace_bytes=self.bytes[Verdict.GRACE],
        )


def stale_uploads(
    uploads: Iterable[PendingUpload], *, cutoff: datetime
) -> Iterator[PendingUpload]:
    """Unfinished uploads started before the cutoff: nobody will finish them."""
    return (upload for upload in uploads if upload.started <= cutoff)


@dataclass(frozen=True)
class PrunePlan:
    choice: CacheChoice
    sweep: SweepSummary


def plan_prune(
    caches: Iterable[tuple[CacheEntry, Iterable[tuple[Digest, int]]]],
    blobs: Iterable[BlobEntry],
    *,
    rules: Rules,
    now: datetime,
    grace: timedelta,
    on_delete: Callable[[BlobEntry], None] | None = None,
) -> PrunePlan:
    """The whole plan from caches already read and a blob listing stream.

    ``caches`` pairs each cache with the (digest, size) of every blob it
    names. The command runs the same steps with I/O in between; this is the
    entry point for a benchmark driven by synthetic listings.
    """
    book = BlobBook()
    refs = [book.refs(entry, named) for entry, named in caches]
    choice = choose_caches(refs, rules, now=now, sizes=book.sizes)

    referenced = referenced_keys(choice.keep)
    sweep = plan_sweep(
        blobs, referenced=referenced, cutoff=now - grace, on_delete=on_delete
    )
    return PrunePlan(choice=choice, sweep=sweep)
