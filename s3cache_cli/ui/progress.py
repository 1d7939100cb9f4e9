"""Transfer progress: a rich display on a terminal, plain lines in CI logs.

Both implement the engine's ``TransferListener`` and end with one summary
line. Plain mode writes a status line at most every ``interval`` seconds
plus one per finished large blob (every blob with ``-v``), and never a
carriage return, so CI logs stay readable. ``--debug`` gets plain lines too:
log records and a redrawn bar do not mix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from s3cache_cli.s3.transfer import NullListener, ThreadSafeListener, TransferListener
from s3cache_cli.ui.units import format_bytes, format_duration

if TYPE_CHECKING:
    from s3cache_cli.cli.app import App

LARGE_BLOB = 64 * 1024 * 1024
_PAST = {
    "uploading": "uploaded",
    "downloading": "downloaded",
    "verifying": "verified",
    "copying": "copied",
    "touching": "touched",
    "uploading and touching": "uploaded and touched",
    "copying and touching": "copied and touched",
}


def make_listener(app: App, verb: str) -> TransferListener:
    """The display that suits where we run: rich, plain lines, or nothing."""
    if app.verbosity < 0:
        return NullListener()
    if app.live_display and app.verbosity < 2:
        return ThreadSafeListener(RichProgress(app, verb))
    return ThreadSafeListener(
        PlainProgress(app.stderr, verb, verbose=app.verbosity >= 1)
    )


@dataclass
class Tally:
    """Blobs and bytes done so far, and what that says about speed and time."""

    blobs: int = 0
    total_blobs: int = 0
    bytes: int = 0
    total_bytes: int = 0
    started: float = 0.0

    def start(self, *, blobs: int, total_bytes: int) -> None:
        self.total_blobs, self.total_bytes = blobs, total_bytes
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.bytes / max(self.elapsed, 1e-6)

    def eta(self) -> float | None:
        left = self.total_bytes - self.bytes
        if self.rate <= 0 or left <= 0:
            return None
        return left / self.rate

    def summary(self, verb: str) -> str:
        """``uploaded 7/7 blobs, 45.3 MiB in 3.2s (14.1 MiB/s)``."""
        done = self.blobs >= self.total_blobs
        what = _PAST.get(verb, f"{verb} done:") if done else "stopped after"
        line = (
            f"{what} {self.blobs}/{self.total_blobs} blobs, "
            f"{format_bytes(self.bytes)} in {format_duration(self.elapsed)}"
        )
        if self.bytes:
            line += f" ({format_bytes(self.rate)}/s)"
        return line


class PlainProgress:
    def __init__(
        self,
        stream: TextIO,
        verb: str,
        interval: float = 5.0,
        *,
        verbose: bool = False,
    ) -> None:
        self._stream = stream
        self._verb = verb
        self._interval = interval
        self._verbose = verbose
        self._tally = Tally(started=time.monotonic())
        self._last_line = self._tally.started

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self._tally.start(blobs=blobs, total_bytes=total_bytes)
        noun = "blob" if blobs == 1 else "blobs"
        self._write(f"{self._verb} {blobs} {noun}, {format_bytes(total_bytes)}")

    def advanced(self, nbytes: int) -> None:
        self._tally.bytes += nbytes
        if time.monotonic() - self._last_line >= self._interval:
            self._write(self._status())

    def blob_done(self, name: str, size: int, action: str) -> None:
        self._tally.blobs += 1
        if self._verbose or size >= LARGE_BLOB:
            self._write(f"{action} {name} ({format_bytes(size)})")

    def finished(self) -> None:
        self._write(self._tally.summary(self._verb))

    def _status(self) -> str:
        tally = self._tally
        line = (
            f"{tally.blobs}/{tally.total_blobs} blobs, "
            f"{format_bytes(tally.bytes)}/{format_bytes(tally.total_bytes)}, "
            f"{format_bytes(tally.rate)}/s"
        )
        eta = tally.eta()
        return line if eta is None else f"{line}, {format_duration(eta)} left"

    def _write(self, line: str) -> None:
        self._last_line = time.monotonic()
        self._stream.write(line + "\n")
        self._stream.flush()


class RichProgress:
    """A bar that redraws in place; it leaves only its summary line behind."""

    def __init__(self, app: App, verb: str) -> None:
        self._app = app
        self._verb = verb
        self._tally = Tally(started=time.monotonic())
        self._progress: Any = None
        self._task: Any = None

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self._tally.start(blobs=blobs, total_bytes=total_bytes)
        self._progress = _rich_progress(self._app, by_bytes=total_bytes > 0)
        total = total_bytes if total_bytes > 0 else blobs
        self._task = self._progress.add_task(self._verb, total=total, blobs="")
        self._show_blobs()
        self._app.live_output = self._progress.console
        self._progress.start()

    def advanced(self, nbytes: int) -> None:
        self._tally.bytes += nbytes
        if self._progress is not None and self._tally.total_bytes > 0:
            self._progress.advance(self._task, nbytes)

    def blob_done(self, name: str, size: int, action: str) -> None:
        self._tally.blobs += 1
        if self._progress is None:
            return
        if self._tally.total_bytes <= 0:
            self._progress.advance(self._task, 1)
        self._show_blobs()
        self._app.detail(f"{action} {name} ({format_bytes(size)})")

    def finished(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._app.live_output = None
        self._app.info(self._tally.summary(self._verb))

    def _show_blobs(self) -> None:
        tally = self._tally
        text = f"{tally.blobs}/{tally.total_blobs} blobs"
        self._progress.update(self._task, blobs=text)


def _rich_progress(app: App, *, by_bytes: bool) -> Any:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class SpeedColumn(ProgressColumn):
        """Bytes per second in the same binary units as the sizes beside it."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{format_bytes(speed)}/s")

    columns: list[Any] = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[blobs]}"),
    ]
    if by_bytes:
        columns += [DownloadColumn(binary_units=True), SpeedColumn()]
    columns += [TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(
        *columns,
        console=app.err_console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )


__all__ = ["PlainProgress", "RichProgress", "Tally", "make_listener"]
