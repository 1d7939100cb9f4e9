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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3cache_cli.errors import S3CacheError
from s3cache_cli.s3.blob_file import BlobFile, BlobPart, is_temp_name, temp_beside
from s3cache_cli.s3.errors import translate
from s3cache_cli.s3.parts import MiB, split_parts
from s3cache_cli.s3.ranged_get import (
    BlobSizeMismatch,
    StoredBlob,
    body_ended,
    get_range,
)
from s3cache_cli.s3.retry import DEFAULT_ATTEMPTS, is_transient, with_retries
from s3cache_cli.s3.transfer import (
    Cancelled,
    CancelToken,
    TransferListener,
    run_parallel,
)

__all__ = [
    "BlobDownload",
    "BlobSizeMismatch",
    "DownloadSettings",
    "download_blobs",
    "is_temp_name",
    "temp_beside",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlobDownload(StoredBlob):
    """One blob to fetch: its key, what it must hash to, and where it goes."""

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

        return [(part.offset, part.end) for part in split_parts(size, self.part_size)]


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
    states = [BlobFile(blob, settings) for blob in ordered]
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

    def run_part(self, part: BlobPart, cancel: CancelToken) -> None:
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

    def _complete(self, state: BlobFile, cancel: CancelToken) -> None:
        """Check the whole blob; if its bytes are wrong, fetch it once more."""
        download = state.download
        what = self._url(download.key)
        progress = _Progress(self._listener, reported=download.size)

        def verify() -> None:
            if state.refetch:
                state.refetch = False
                self._fetch(state.whole(), progress, cancel)
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

    def _fetch(self, part: BlobPart, progress: _Progress, cancel: CancelToken) -> None:
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
        part: BlobPart,
        cursor: _Cursor,
        progress: _Progress,
        cancel: CancelToken,
    ) -> None:
        while cursor.offset < part.end:
            cancel.raise_if_cancelled()
            wanted = min(self._settings.chunk_size, part.end - cursor.offset)
            chunk = body.read(wanted)
            if not chunk:
                expected = part.end - part.start
                raise body_ended(expected=expected, got=cursor.offset - part.start)
            part.blob.write(cursor.offset, chunk)
            cursor.offset += len(chunk)
            progress.advance(len(chunk))

    def _get(self, part: BlobPart, offset: int) -> Any:
        """GET the rest of ``part`` from ``offset``; the response's body."""
        download = part.blob.download
        response = get_range(self._conn, download, start=offset, end=part.end)
        try:
            part.blob.note_etag(response.etag, self._url(download.key))
        except BaseException:
            response.body.close()
            raise
        return response.body

    def _url(self, key: str) -> str:
        return f"s3://{self._conn.bucket}/{key}"


@dataclass
class _Cursor:
    offset: int
