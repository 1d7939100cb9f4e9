"""Download blobs from S3 into files, verified while they stream.

Each blob goes to a hidden temporary file beside its final name and is
renamed into place only after its digest and size match. Large blobs are
fetched as ranged parts, and every part of every blob is one job of the
shared engine, so ``parallelism`` bounds the open connections whatever the
mix of sizes. Hashing happens in the same pass as writing; a part that lands
ahead of the hash is read back from the page cache when its turn comes.

A body that breaks off mid-read is resumed from the byte where it stopped
with a Range request (botocore retries requests, never a broken body). A part
that still fails is retried whole, its progress rolled back first.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3cache_cli.digest import Digest, DigestVerifier
from s3cache_cli.errors import OperationFailed, S3CacheError
from s3cache_cli.s3.errors import translate
from s3cache_cli.s3.retry import DEFAULT_ATTEMPTS, is_transient, with_retries
from s3cache_cli.s3.transfer import (
    Cancelled,
    CancelToken,
    TransferListener,
    run_parallel,
)

log = logging.getLogger(__name__)

MiB = 1024 * 1024
BLOB_MODE = 0o444
TEMP_NAME = re.compile(r"\.[^/]+\.tmp-[0-9a-f]{12}")


class BlobSizeMismatch(OperationFailed):
    """S3 holds an object of another size than the manifest says.

    Not an ``IntegrityError``: asking again cannot change the answer, so the
    retry policy must not spend its attempts on it.
    """


@dataclass(frozen=True)
class BlobDownload:
    """One blob to fetch: its key, what it must hash to, and where it goes."""

    key: str
    digest: Digest
    size: int
    destination: Path


@dataclass(frozen=True)
class DownloadSettings:
    parallelism: int = 4
    part_size: int = 8 * MiB
    multipart_threshold: int = 16 * MiB
    chunk_size: int = 1 * MiB
    max_resumes: int = 5
    attempts: int = DEFAULT_ATTEMPTS
    # Flushing every blob to disk doubles the time of a large import. A blob
    # a power cut loses is found corrupt and replaced by the next import, so
    # only index.json, which names the blobs, is flushed by default.
    fsync: bool = False

    def __post_init__(self) -> None:
        for name in ("parallelism", "part_size", "chunk_size", "attempts"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    def ranges(self, size: int) -> list[tuple[int, int]]:
        """The [start, end) byte ranges a blob of ``size`` is fetched in."""
        if size < self.multipart_threshold:
            return [(0, size)]

        return [
            (start, min(start + self.part_size, size))
            for start in range(0, size, self.part_size)
        ]


def download_blobs(
    conn: Any,
    blobs: Sequence[BlobDownload],
    *,
    listener: TransferListener,
    settings: DownloadSettings | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Fetch every blob to its destination; raise on the first failure.

    On failure or interruption no temporary file is left behind and nothing
    unverified is under a final name; blobs already placed stay.
    """
    settings = settings or DownloadSettings()
    # The biggest first, so that a large blob's parts and its hashing overlap
    # with the small ones instead of running alone at the end.
    ordered = sorted(blobs, key=lambda blob: -blob.size)
    states = [_BlobState(blob, settings) for blob in ordered]
    parts = [part for state in states for part in state.parts()]
    fetcher = _Fetcher(conn, settings, listener)
    listener.started(blobs=len(blobs), total_bytes=sum(b.size for b in blobs))
    try:
        run_parallel(
            parts, fetcher.run_part, parallelism=settings.parallelism, cancel=cancel
        )
    finally:
        for state in states:
            state.discard()
        listener.finished()


def temp_beside(final: Path) -> Path:
    """A fresh hidden name in ``final``'s directory: ``.<name>.tmp-<random>``."""
    return final.with_name(f".{final.name}.tmp-{secrets.token_hex(6)}")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one ``temp_beside`` makes: a write that never ended
    if no process is still writing it."""
    return TEMP_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class _Part:
    blob: _BlobState
    number: int
    start: int
    end: int

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == self.blob.download.size

    def describe(self) -> str:
        count = len(self.blob.ranges)
        if count == 1:
            return self.blob.download.key

        return f"{self.blob.download.key} part {self.number + 1}/{count}"


class _BlobState:
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
        self._hasher: _OrderedHasher | None = None

    def parts(self) -> list[_Part]:
        return [
            _Part(self, number, start, end)
            for number, (start, end) in enumerate(self.ranges)
        ]

    def open(self) -> None:
        """Create the temporary file on first use (under the lock)."""
        with self._lock:
            if self._fd is None:
                self._create_temp()

    def _create_temp(self) -> None:
        self._temp = temp_beside(self.download.destination)
        self._fd = os.open(self._temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        verifier = DigestVerifier(self.download.digest, self.download.size)
        self._hasher = _OrderedHasher(verifier, self._fd, self._settings.chunk_size)
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


class _OrderedHasher:
    """Hash a file's bytes in order while its parts are written in any order.

    One writer at a time does the hashing, outside the lock, so the others
    only note what they wrote and go back to downloading.
    """

    def __init__(self, verifier: DigestVerifier, fd: int, chunk_size: int) -> None:
        self.verifier = verifier
        self._fd = fd
        self._chunk_size = chunk_size
        self._hashed = 0
        self._waiting: list[tuple[int, int]] = []  # written, not yet hashed
        self._hashing = False
        self._lock = threading.Lock()

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
            length = min(self._chunk_size, end - begin)
            self.verifier.update(os.pread(self._fd, length, begin))
            begin += length
            self._advance(begin)

    def _advance(self, offset: int) -> None:
        with self._lock:
            self._hashed = offset


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))

    return merged


@dataclass
class _Progress:
    """Bytes reported for one attempt, so a retry can take them back."""

    listener: TransferListener
    reported: int = field(default=0)

    def advance(self, nbytes: int) -> None:
        self.reported += nbytes
        self.listener.advanced(nbytes)

    def roll_back(self) -> None:
        if self.reported:
            self.listener.advanced(-self.reported)
        self.reported = 0


class _Fetcher:
    def __init__(
        self, conn: Any, settings: DownloadSettings, listener: TransferListener
    ) -> None:
        self._conn = conn
        self._settings = settings
        self._listener = listener

    def run_part(self, part: _Part, cancel: CancelToken) -> None:
        state = part.blob
        state.open()
        progress = _Progress(self._listener)
        try:
            with_retries(
                lambda: self._fetch(part, progress, cancel),
                what=part.describe(),
                attempts=self._settings.attempts,
                before_retry=progress.roll_back,
            )
            if state.part_finished():
                self._complete(state, cancel)
        except (Cancelled, S3CacheError):
            raise
        except Exception as error:
            key = state.download.key
            raise translate(error, bucket=self._conn.bucket, key=key) from error

    def _complete(self, state: _BlobState, cancel: CancelToken) -> None:
        """Check the whole blob; if its bytes are wrong, fetch it once more."""
        download = state.download
        what = self._url(download.key)
        progress = _Progress(self._listener, reported=download.size)
        whole = _Part(state, 0, 0, download.size)

        def verify() -> None:
            if state.refetch:
                state.refetch = False
                self._fetch(whole, progress, cancel)
            state.check(what)

        def start_over() -> None:
            progress.roll_back()
            state.restart()

        with_retries(
            verify,
            what=f"verify {what}",
            attempts=self._settings.attempts,
            before_retry=start_over,
        )
        state.place()
        self._listener.blob_done(str(download.digest), download.size, "downloaded")

    def _fetch(self, part: _Part, progress: _Progress, cancel: CancelToken) -> None:
        """Read ``part`` into the blob's file, resuming a body that breaks off."""
        cursor = _Cursor(part.start)
        resumes = 0
        while True:
            body = self._get(part, cursor.offset)
            try:
                self._stream(body, part, cursor, progress, cancel)
                return
            except Exception as error:
                if not is_transient(error) or resumes >= self._settings.max_resumes:
                    raise
                resumes += 1
                log.debug(
                    "%s broke off at byte %d (%s); resuming %d/%d",
                    part.describe(),
                    cursor.offset,
                    error,
                    resumes,
                    self._settings.max_resumes,
                )
            finally:
                body.close()

    def _stream(
        self,
        body: Any,
        part: _Part,
        cursor: _Cursor,
        progress: _Progress,
        cancel: CancelToken,
    ) -> None:
        while cursor.offset < part.end:
            cancel.raise_if_cancelled()
            wanted = min(self._settings.chunk_size, part.end - cursor.offset)
            chunk = body.read(wanted)
            if not chunk:
                raise _body_ended(part, cursor.offset)
            part.blob.write(cursor.offset, chunk)
            cursor.offset += len(chunk)
            progress.advance(len(chunk))

    def _get(self, part: _Part, offset: int) -> Any:
        """GET the rest of ``part`` from ``offset``; the response's body."""
        download = part.blob.download
        request = {"Bucket": self._conn.bucket, "Key": download.key}
        if not (part.whole and offset == 0):
            request["Range"] = f"bytes={offset}-{part.end - 1}"

        try:
            response = self._conn.client.get_object(**request)
        except Exception as error:
            raise self._request_error(error, download) from error

        self._check_response(response, part, offset)
        return response["Body"]

    def _request_error(self, error: Exception, download: BlobDownload) -> Exception:
        from s3cache_cli.s3.errors import error_code

        if error_code(error) == "InvalidRange":
            return BlobSizeMismatch(
                f"{self._url(download.key)} is smaller than the {download.size} "
                f"bytes the manifest gives {download.digest}",
                hint=_SIZE_HINT,
            )
        if is_transient(error):
            return error

        return translate(error, bucket=self._conn.bucket, key=download.key)

    def _check_response(self, response: dict, part: _Part, offset: int) -> None:
        download = part.blob.download
        what = self._url(download.key)
        total = _object_size(response)
        if total != download.size:
            response["Body"].close()
            raise BlobSizeMismatch(
                f"{what} is {total} bytes, but the manifest gives {download.digest} "
                f"{download.size} bytes",
                hint=_SIZE_HINT,
            )

        length = int(response.get("ContentLength", -1))
        if length != part.end - offset:
            response["Body"].close()
            raise OperationFailed(
                f"asked for bytes {offset}-{part.end - 1} of {what}, "
                f"got {length} bytes",
                hint="the S3 server may not support Range requests",
            )

        part.blob.note_etag(str(response.get("ETag", "")), what)

    def _url(self, key: str) -> str:
        return f"s3://{self._conn.bucket}/{key}"


_SIZE_HINT = "the blob in S3 is damaged or was replaced; export the cache again"


@dataclass
class _Cursor:
    offset: int


def _object_size(response: dict) -> int:
    """The whole object's size, from Content-Range when the GET was ranged."""
    content_range = response.get("ContentRange")
    if content_range:
        return int(str(content_range).rpartition("/")[2])

    return int(response.get("ContentLength", -1))


def _body_ended(part: _Part, offset: int) -> Exception:
    import botocore.exceptions

    return botocore.exceptions.IncompleteReadError(
        actual_bytes=offset - part.start, expected_bytes=part.end - part.start
    )
