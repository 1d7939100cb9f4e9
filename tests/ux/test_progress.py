"""Plain progress lines and the summary every display ends with."""

from __future__ import annotations

import io
import re

from s3cache_cli.cli.app import App
from s3cache_cli.s3.transfer import NullListener
from s3cache_cli.ui.progress import PlainProgress, make_listener

MIB = 1024 * 1024


def test_status_lines_come_at_most_every_interval() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "downloading", interval=3600)

    progress.started(blobs=3, total_bytes=30 * MIB)
    for _ in range(30):
        progress.advanced(MIB)

    assert stream.getvalue() == "downloading 3 blobs, 30.0 MiB\n"


def test_status_line_says_how_far_how_fast_and_how_long() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "downloading", interval=0)

    progress.started(blobs=3, total_bytes=30 * MIB)
    progress.advanced(10 * MIB)

    status = stream.getvalue().splitlines()[1]
    assert re.fullmatch(
        r"0/3 blobs, 10\.0 MiB/30\.0 MiB, [\d.]+ [KMGT]iB/s, [\dhms.]+ left", status
    )


def test_a_stopped_transfer_does_not_claim_success() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "uploading", interval=3600)

    progress.started(blobs=5, total_bytes=5 * MIB)
    progress.advanced(MIB)
    progress.blob_done("sha256:aa", MIB, "uploaded")
    progress.finished()

    assert (
        stream.getvalue()
        .splitlines()[-1]
        .startswith("stopped after 1/5 blobs, 1.0 MiB in ")
    )


def test_touches_alone_have_no_rate() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "uploading", interval=3600)

    progress.started(blobs=2, total_bytes=0)
    progress.blob_done("sha256:aa", MIB, "touched")
    progress.blob_done("sha256:bb", MIB, "touched")
    progress.finished()

    assert re.fullmatch(
        r"uploaded 2/2 blobs, 0 B in [\d.]+s", stream.getvalue().splitlines()[-1]
    )


def test_verbose_names_every_blob() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "uploading", interval=3600, verbose=True)

    progress.started(blobs=1, total_bytes=10)
    progress.blob_done("sha256:aa", 10, "uploaded")

    assert stream.getvalue().splitlines()[1] == "uploaded sha256:aa (10 B)"


def test_quiet_has_no_display() -> None:
    app = App(verbosity=-1, stderr=io.StringIO())

    assert isinstance(make_listener(app, "uploading"), NullListener)


def test_off_a_terminal_the_display_is_plain() -> None:
    stderr = io.StringIO()
    listener = make_listener(App(stderr=stderr), "verifying")

    listener.started(blobs=1, total_bytes=4)
    listener.advanced(4)
    listener.blob_done("sha256:aa", 4, "verified")
    listener.finished()

    lines = stderr.getvalue().splitlines()
    assert lines[0] == "verifying 1 blob, 4 B"
    assert lines[1].startswith("verified 1/1 blobs, 4 B in ")
