"""A byte range of a blob as the seekable body botocore sends, with progress."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from s3cache_cli.s3.transfer import CancelToken, TransferListener

# Progress is reported in steps, not per 16 KiB socket write.
PROGRESS_STEP = 256 * 1024
# The most one read returns: botocore asks for 1 MiB at a time to sign a
# body, and a dozen parts doing that at once would show in memory.
READ_LIMIT = 256 * 1024

ReadAt = Callable[[int, int], bytes]


class RangeReader:
    """``length`` bytes from ``offset`` as a seekable file for botocore.

    Progress follows the read position: reading reports bytes, seeking back
    takes them back. botocore reads the body once to sign it (plain HTTP) and
    seeks back, and rewinds it before its own retries, so what the listener
    ends up with is exactly what was sent.

    Every caller checks the bytes against the blob's digest before they are
    published (before the PUT, or before the multipart upload completes), so
    the client sends them without hashing them again to sign them.
    """

    checked_against_digest = True

    def __init__(
        self,
        read_at: ReadAt,
        offset: int,
        length: int,
        *,
        listener: TransferListener,
        cancel: CancelToken,
    ) -> None:
        self._read_at = read_at
        self._offset = offset
        self._length = length
        self._listener = listener
        self._cancel = cancel
        self._position = 0
        self._reported = 0

    def __len__(self) -> int:
        return self._length - self._position

    def read(self, size: int | None = -1) -> bytes:
        self._cancel.raise_if_cancelled()
        remaining = self._length - self._position
        if size is None or size < 0:
            size = remaining
        else:
            # A short read is allowed to a caller that names a size.
            size = min(size, remaining, READ_LIMIT)
        data = self._read_at(self._offset + self._position, size)
        self._position += len(data)
        self._report()
        return data

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}
        self._position = min(max(0, base[whence] + position), self._length)
        self._report(force=True)
        return self._position

    def tell(self) -> int:
        return self._position

    def rewind(self) -> None:
        self.seek(0)

    def release(self) -> None:
        """Let go of the source once the part is sent: botocore's request
        objects sit in reference cycles that keep the body for a while."""
        self._read_at = _released

    def _report(self, *, force: bool = False) -> None:
        delta = self._position - self._reported
        at_end = self._position == self._length
        if delta and (force or at_end or abs(delta) >= PROGRESS_STEP):
            self._listener.advanced(delta)
            self._reported = self._position


def bytes_reader(data: bytes | bytearray) -> ReadAt:
    view = memoryview(data)
    return lambda offset, size: bytes(view[offset : offset + size])


def _released(offset: int, size: int) -> bytes:
    raise ValueError("the part was sent; its bytes were let go")
