from __future__ import annotations

import io

import pytest

from s3cache_cli.ui.progress import PlainProgress
from s3cache_cli.ui.units import format_bytes, format_duration, format_names


@pytest.mark.parametrize(
    ("count", "text"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(1023, "1023 B", id="bytes"),
        pytest.param(1536, "1.5 KiB", id="kib"),
        pytest.param(1064334, "1.0 MiB", id="mib"),
        pytest.param(5 * 1024**4, "5.0 TiB", id="tib"),
    ],
)
def test_sizes_read_like_people_write_them(count: int, text: str) -> None:
    assert format_bytes(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(4.25, "4.2s", id="seconds"),
        pytest.param(95, "1m35s", id="minutes"),
        pytest.param(3 * 3600 + 60, "3h01m", id="hours"),
        pytest.param(50 * 3600, "2d02h", id="days"),
    ],
)
def test_durations_are_short(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_plain_progress_writes_whole_lines_and_large_blobs() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, "uploading", interval=0.0)

    progress.started(blobs=2, total_bytes=200 * 1024 * 1024)
    progress.advanced(100 * 1024 * 1024)
    progress.blob_done("sha256:aaaa", 100 * 1024 * 1024, "uploaded")
    progress.blob_done("sha256:bbbb", 10, "uploaded")

    lines = stream.getvalue().splitlines()
    assert lines[0] == "uploading 2 blobs, 200.0 MiB"
    assert lines[1].startswith("0/2 blobs, 100.0 MiB/200.0 MiB, ")
    assert lines[2] == "uploaded sha256:aaaa (100.0 MiB)"
    assert len(lines) == 3
    assert "\r" not in stream.getvalue()


@pytest.mark.parametrize(
    ("names", "text"),
    [
        ([], "none"),
        (["main"], "main"),
        (["a", "b", "c"], "a, b, c"),
        (
            [f"pr-{n}" for n in range(22)],
            ", ".join(f"pr-{n}" for n in range(20)) + " and 2 more",
        ),
    ],
)
def test_a_list_of_names_stops_after_twenty(names: list[str], text: str) -> None:
    assert format_names(names) == text
