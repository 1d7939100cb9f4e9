"""The transfer engine shared by export, import and inspect --deep.

Jobs run ``parallelism`` at a time on a thread pool. The first failure stops
the rest: queued jobs never start and running ones see ``cancel`` set at
their next chunk or part and stop (aborting a multipart upload on the way
out). Progress is reported through a ``TransferListener``; the engine has no
user interface of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


class Cancelled(Exception):
    """A job stopped because another one failed or the user interrupted."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class TransferListener(Protocol):
    """What the engine tells the user interface while it works."""

    def started(self, *, blobs: int, total_bytes: int) -> None: ...

    def advanced(self, nbytes: int) -> None:
        """Bytes moved; negative to roll back a failed attempt before a retry."""

    def blob_done(self, name: str, size: int, action: str) -> None: ...

    def finished(self) -> None: ...


class NullListener:
    def started(self, *, blobs: int, total_bytes: int) -> None:
        pass

    def advanced(self, nbytes: int) -> None:
        pass

    def blob_done(self, name: str, size: int, action: str) -> None:
        pass

    def finished(self) -> None:
        pass


class ThreadSafeListener:
    """Serialise calls into a listener that is not thread-safe."""

    def __init__(self, inner: TransferListener) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def started(self, *, blobs: int, total_bytes: int) -> None:
        with self._lock:
            self._inner.started(blobs=blobs, total_bytes=total_bytes)

    def advanced(self, nbytes: int) -> None:
        with self._lock:
            self._inner.advanced(nbytes)

    def blob_done(self, name: str, size: int, action: str) -> None:
        with self._lock:
            self._inner.blob_done(name, size, action)

    def finished(self) -> None:
        with self._lock:
            self._inner.finished()


def run_parallel(
    jobs: Sequence[J],
    work: Callable[[J, CancelToken], R],
    *,
    parallelism: int,
    cancel: CancelToken | None = None,
) -> list[R]:
    """``work(job, cancel)`` for every job; results in job order.

    Raises the first job's exception after the other jobs have stopped, so
    that no thread is still writing when the caller reports the failure.
    """
    cancel = cancel or CancelToken()
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = [pool.submit(_guarded, work, job, cancel) for job in jobs]
        try:
            _wait_for_first_failure(futures, cancel)
        except BaseException:
            cancel.cancel()
            for future in futures:
                future.cancel()
            wait(futures)
            raise
    return [future.result() for future in futures]


def _guarded(work: Callable[[J, CancelToken], R], job: J, cancel: CancelToken) -> R:
    cancel.raise_if_cancelled()
    return work(job, cancel)


def _wait_for_first_failure(futures: list[Future[R]], cancel: CancelToken) -> None:
    pending: set[Future[R]] = set(futures)
    while pending:
        # A timeout keeps the main thread responsive to Ctrl-C.
        done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None and not isinstance(error, Cancelled):
                raise error
