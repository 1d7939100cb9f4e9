"""A blob being downloaded: its hidden temporary file, its ordered hash, and
the parts still to come. Nothing is under the final name until it is placed."""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from s3cache_cli.digest import DigestVerifier
from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.ordered_hash import OrderedHasher

if TYPE_CHECKING:
    from s3cache_cli.s3.download import BlobDownload, DownloadSettings

log = logging.getLogger(__name__)

BLOB_MODE = 0o444
TEMP_NAME = re.compile(r"\.[^/]+\.tmp-[0-9a-f]{12}")


def temp_beside(final: Path) -> Path:
    """A fresh hidden name in ``final``'s directory: ``.<name>.tmp-<random>``."""
    return final.with_name(f".{final.name}.tmp-{secrets.token_hex(6)}")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one ``temp_beside`` makes: a write that never ended
    if no process is still writing it."""
    return TEMP_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class BlobPart:
    blob: BlobFile
    number: int
    start: int
    end: int

    def describe(self) -> str:
        count = len(self.blob.ranges)
        if count == 1:
            return self.blob.download.key

        return f"{self.blob.download.key} part {self.number + 1}/{count}"


class BlobFile:
    """A blob in flight: its temporary file, its hash, the parts still to come."""

    def __init__(self, download: BlobDownload, settings: DownloadSettings) -> None:
        self.download = download
        self.ranges = settings.ranges(download.size)
        self.etag: str | None = None
        self.placed = False
        self.refetch = False
        self._settings = settings
        self._parts_left = len(self.ranges)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._temp: Path | None = None
        self._hasher: OrderedHasher | None = None

    def parts(self) -> list[BlobPart]:
        return [
            BlobPart(self, number, start, end)
            for number, (start, end) in enumerate(self.ranges)
        ]

    def whole(self) -> BlobPart:
        return BlobPart(self, 0, 0, self.download.size)

    def open(self) -> None:
        """Create the temporary file on first use (under the lock)."""
        with self._lock:
            if self._fd is None:
                self._create_temp()

    def _create_temp(self) -> None:
        self._temp = temp_beside(self.download.destination)
        fd = os.open(self._temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self._fd = fd
        verifier = DigestVerifier(self.download.digest, self.download.size)

        def read_back(offset: int, size: int) -> bytes:
            return os.pread(fd, size, offset)

        self._hasher = OrderedHasher(verifier, read_back, self._settings.chunk_size)
        log.debug("downloading %s into %s", self.download.key, self._temp)

    def write(self, offset: int, data: bytes) -> None:
        assert self._fd is not None and self._hasher is not None
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, offset + len(data) - len(view))
            view = view[written:]
        self._hasher.wrote(offset, data)

    def note_etag(self, etag: str, what: str) -> None:
        with self._lock:
            if self.etag is None:
                self.etag = etag
            elif etag != self.etag:
                raise OperationFailed(
                    f"{what} changed while it was being downloaded",
                    hint="another process is writing this cache; run again later",
                )

    def part_finished(self) -> bool:
        """True for the caller that finished the last part."""
        with self._lock:
            self._parts_left -= 1
            return self._parts_left == 0

    def restart(self) -> None:
        """Throw the bytes away and start again with a fresh file and hash."""
        with self._lock:
            self._remove_temp()
            self._create_temp()
            self.etag = None
            self.refetch = True

    def check(self, what: str) -> None:
        assert self._hasher is not None
        self._hasher.verifier.check(what)

    def place(self) -> None:
        """Rename the verified temporary file to its final name."""
        assert self._fd is not None and self._temp is not None
        if self._settings.fsync:
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        self._temp.chmod(BLOB_MODE)
        os.replace(self._temp, self.download.destination)
        self.placed = True
        log.debug("placed %s", self.download.destination)

    def discard(self) -> None:
        with self._lock:
            if not self.placed:
                self._remove_temp()

    def _remove_temp(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None
