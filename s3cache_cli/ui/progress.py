"""Transfer progress: a rich bar on a terminal, plain lines in CI logs.

Both implement the engine's ``TransferListener``. Plain mode writes a line
at most every ``interval`` seconds plus one per finished large blob, and
never a carriage return, so CI logs stay readable.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

from s3cache_cli.s3.transfer import NullListener, ThreadSafeListener, TransferListener
from s3cache_cli.ui.units import format_bytes, format_duration

if TYPE_CHECKING:
    from s3cache_cli.cli.app import App

LARGE_BLOB = 64 * 1024 * 1024


def make_listener(app: App, verb: str) -> TransferListener:
    """The display that suits where we run: rich, plain lines, or nothing."""
    if app.verbosity < 0:
        return NullListener()
    if app.stderr.isatty() and not app.plain_terminal:
        return ThreadSafeListener(RichProgress(app, verb))
    return ThreadSafeListener(PlainProgress(app.stderr, verb))


class PlainProgress:
    def __init__(self, stream: TextIO, verb: str, interval: float = 5.0) -> None:
        self._stream = stream
        self._verb = verb
        self._interval = interval
        self._done_blobs = 0
        self._done_bytes = 0
        self._total_blobs = 0
        self._total_bytes = 0
        self._started = time.monotonic()
        self._last_line = self._started

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self._total_blobs, self._total_bytes = blobs, total_bytes
        self._write(f"{self._verb} {blobs} blobs, {format_bytes(total_bytes)}")

    def advanced(self, nbytes: int) -> None:
        self._done_bytes += nbytes
        if time.monotonic() - self._last_line >= self._interval:
            self._write(self._status())

    def blob_done(self, name: str, size: int, action: str) -> None:
        self._done_blobs += 1
        if size >= LARGE_BLOB:
            self._write(f"{action} {name} ({format_bytes(size)})")

    def finished(self) -> None:
        pass

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = self._done_bytes / elapsed
        return (
            f"{self._done_blobs}/{self._total_blobs} blobs, "
            f"{format_bytes(self._done_bytes)}/{format_bytes(self._total_bytes)}, "
            f"{format_bytes(rate)}/s"
        )

    def _write(self, line: str) -> None:
        self._last_line = time.monotonic()
        self._stream.write(line + "\n")
        self._stream.flush()


class RichProgress:
    def __init__(self, app: App, verb: str) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn(verb),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("blobs"),
            MofNCompleteColumn(),
            console=app.err_console,
            transient=True,
        )
        self._bytes_task = self._progress.add_task(verb, total=None)
        self._blobs = 0
        self._started = time.monotonic()

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self._progress.update(self._bytes_task, total=total_bytes)
        self._blob_total = blobs
        self._progress.start()

    def advanced(self, nbytes: int) -> None:
        self._progress.advance(self._bytes_task, nbytes)

    def blob_done(self, name: str, size: int, action: str) -> None:
        self._blobs += 1

    def finished(self) -> None:
        self._progress.stop()


__all__ = ["PlainProgress", "RichProgress", "format_duration", "make_listener"]
