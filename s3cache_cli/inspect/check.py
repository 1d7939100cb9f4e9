"""Are the blobs the caches name whole? HEAD each one; with ``deep``, read it.

Every blob is checked once however many caches name it; a problem lists the
caches that name the blob. A blob that is missing or has the wrong size is
not read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s3cache_cli.errors import IntegrityError
from s3cache_cli.s3.transfer import CancelToken, NullListener, run_parallel

if TYPE_CHECKING:
    from s3cache_cli.digest import Digest
    from s3cache_cli.inspect.report import CacheReport
    from s3cache_cli.s3.transfer import TransferListener
    from s3cache_cli.stores.base import BlobEntry, CacheStore

log = logging.getLogger(__name__)

MISSING = "missing"
WRONG_SIZE = "wrong size"
CORRUPT = "corrupt"


@dataclass(frozen=True)
class BlobProblem:
    digest: Digest
    kind: str  # MISSING, WRONG_SIZE or CORRUPT
    detail: str
    caches: tuple[str, ...]


@dataclass(frozen=True)
class CheckReport:
    deep: bool
    blobs: int
    bytes: int
    problems: tuple[BlobProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Target:
    digest: Digest
    size: int | None
    caches: tuple[str, ...]


def check_blobs(
    store: CacheStore,
    caches: Sequence[CacheReport],
    *,
    deep: bool,
    parallelism: int,
    listener: TransferListener | None = None,
) -> CheckReport:
    """HEAD (and with ``deep`` read and hash) every blob the caches name."""
    targets = _targets(caches)
    heads = run_parallel(
        targets, lambda t, _: store.head_blob(t.digest), parallelism=parallelism
    )

    pairs = list(zip(targets, heads, strict=True))
    compared = [(t, h, _compare(t, h)) for t, h in pairs]
    problems = [problem for _, _, problem in compared if problem is not None]
    if deep:
        sound = [(t, h.size) for t, h, problem in compared if h and not problem]
        problems += _verify(store, sound, parallelism, listener)

    checked_bytes = sum(t.size or 0 for t in targets)
    return CheckReport(deep, len(targets), checked_bytes, tuple(problems))


def _targets(caches: Sequence[CacheReport]) -> list[_Target]:
    owners: dict[Digest, list[str]] = {}
    sizes: dict[Digest, int | None] = {}
    for cache in caches:
        for blob in cache.blobs:
            owners.setdefault(blob.digest, []).append(cache.name)
            if sizes.get(blob.digest) is None:
                sizes[blob.digest] = blob.size
    return [_Target(d, sizes[d], tuple(names)) for d, names in owners.items()]


def _compare(target: _Target, found: BlobEntry | None) -> BlobProblem | None:
    if found is None:
        return BlobProblem(target.digest, MISSING, "not stored", target.caches)

    if target.size is not None and found.size != target.size:
        detail = f"{found.size} bytes stored, the manifest says {target.size}"
        return BlobProblem(target.digest, WRONG_SIZE, detail, target.caches)

    return None


def _verify(
    store: CacheStore,
    jobs: Sequence[tuple[_Target, int]],
    parallelism: int,
    listener: TransferListener | None,
) -> list[BlobProblem]:
    listener = listener or NullListener()
    listener.started(blobs=len(jobs), total_bytes=sum(size for _, size in jobs))

    def verify(job: tuple[_Target, int], cancel: CancelToken) -> BlobProblem | None:
        target, size = job
        cancel.raise_if_cancelled()
        try:
            store.verify_blob(target.digest, size, on_bytes=listener.advanced)
        except IntegrityError as error:
            log.debug("%s failed verification: %s", target.digest, error.message)
            return BlobProblem(target.digest, CORRUPT, error.message, target.caches)
        listener.blob_done(str(target.digest), size, "verified")
        return None

    try:
        results = run_parallel(jobs, verify, parallelism=parallelism)
    finally:
        listener.finished()
    return [problem for problem in results if problem is not None]
