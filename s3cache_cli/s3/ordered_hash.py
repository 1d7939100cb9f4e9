"""Hash a blob's bytes in order while its parts arrive in any order.

Parts are fetched in parallel, but a digest needs the bytes in sequence. Each
part is noted when it is in hand; whoever holds the next bytes hashes them,
and the parts that came early are read back (from a file or from memory)
when their turn comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from s3cache_cli.digest import DigestVerifier
    from s3cache_cli.s3.transfer import CancelToken

ReadAt = Callable[[int, int], bytes]

# How often a caller waiting for the hash to move on looks for a cancel.
_WAIT_SECONDS = 0.1


class OrderedHasher:
    """Feed ``verifier`` the bytes noted with ``wrote``, in offset order.

    One writer at a time does the hashing, outside the lock, so the others
    only note what they wrote and go back to fetching. ``read_at(offset,
    size)`` returns bytes noted earlier; it may return fewer than asked.
    """

    def __init__(
        self, verifier: DigestVerifier, read_at: ReadAt, chunk_size: int
    ) -> None:
        self.verifier = verifier
        self._read_at = read_at
        self._chunk_size = chunk_size
        self._hashed = 0
        self._waiting: list[tuple[int, int]] = []  # written, not yet hashed
        self._hashing = False
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)

    @property
    def hashed(self) -> int:
        """How many bytes from the start have been hashed."""
        with self._lock:
            return self._hashed

    def wait_for(self, offset: int, cancel: CancelToken) -> None:
        """Block until the first ``offset`` bytes are hashed, or a cancel."""
        with self._moved:
            while self._hashed < offset:
                cancel.raise_if_cancelled()
                self._moved.wait(_WAIT_SECONDS)

    def wrote(self, start: int, data: bytes) -> None:
        with self._lock:
            self._waiting = _merge([*self._waiting, (start, start + len(data))])
            if self._hashing:
                return
            self._hashing = True

        try:
            while (region := self._next_region()) is not None:
                self._hash(region, start, data)
        except BaseException:
            with self._lock:
                self._hashing = False
            raise

    def _next_region(self) -> tuple[int, int] | None:
        """The next written bytes that follow what is hashed; None hands over.

        Looking and handing over happen under one lock, so bytes noted by a
        writer that found us hashing are never left behind.
        """
        with self._lock:
            while self._waiting and self._waiting[0][1] <= self._hashed:
                self._waiting.pop(0)  # rewritten after a retry: hashed already
            if not self._waiting or self._waiting[0][0] > self._hashed:
                self._hashing = False
                return None
            return self._hashed, self._waiting[0][1]

    def _hash(self, region: tuple[int, int], start: int, data: bytes) -> None:
        begin, end = region
        if start <= begin and end <= start + len(data):
            # The bytes just written are still in hand: no need to read them.
            self.verifier.update(memoryview(data)[begin - start : end - start])
            self._advance(end)
            return

        while begin < end:
            chunk = self._read_at(begin, min(self._chunk_size, end - begin))
            if not chunk:
                raise RuntimeError(f"bytes from {begin} were noted but cannot be read")
            self.verifier.update(chunk)
            begin += len(chunk)
            self._advance(begin)

    def _advance(self, offset: int) -> None:
        with self._moved:
            self._hashed = offset
            self._moved.notify_all()


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))

    return merged
