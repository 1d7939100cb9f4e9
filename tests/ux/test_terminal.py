"""The progress display in a real pseudo-terminal, and off one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.ux.screen import SGR_COLOUR, bare_carriage_returns, screen

REPO = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"uploaded 5/5 blobs, 20\.0 MiB in \d+\.\ds \(\d+\.\d MiB/s\)")


def environment(**extra: str) -> dict[str, str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return {**base, "TERM": "xterm-256color", **extra}


def in_terminal(*args: str, **env: str) -> str:
    """All a program wrote to a 100-column pseudo-terminal, as the terminal got it."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tests.ux.fake_transfer", *args],
        cwd=REPO,
        env=environment(**env),
        dimensions=(24, 100),
        encoding="utf-8",
        timeout=30,
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    return output


def in_pipe(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.ux.fake_transfer", *args],
        cwd=REPO,
        env=environment(**env),
        capture_output=True,
        text=True,
        check=True,
    )


def test_bar_redraws_in_place_and_leaves_a_summary() -> None:
    output = in_terminal()

    assert bare_carriage_returns(output) > 3
    assert re.search(r"uploading .*━.* \d/5 blobs .*/20\.0 MiB.*MiB/s ETA", output)
    lines = screen(output)
    assert lines[0] == "warning: the store is slow"
    assert SUMMARY.fullmatch(lines[1])
    assert lines[2:] == ["exported 5 blobs"]


def test_colours_on_a_terminal() -> None:
    output = in_terminal()

    assert "\x1b[33mwarning:\x1b[0m the store is slow" in output


def test_no_color_keeps_the_bar_without_colour() -> None:
    output = in_terminal(NO_COLOR="1")

    assert bare_carriage_returns(output) > 3
    assert not SGR_COLOUR.search(output)
    assert screen(output)[0] == "warning: the store is slow"


def test_verbose_lists_each_blob_above_the_bar() -> None:
    lines = screen(in_terminal("-v"))

    blob_lines = [line for line in lines if line.startswith("uploaded sha256:")]
    assert len(blob_lines) == 5
    assert blob_lines[0] == f"uploaded sha256:{0:064x} (4.0 MiB)"
    assert SUMMARY.fullmatch(lines[-2])


def test_quiet_shows_no_progress() -> None:
    assert screen(in_terminal("-q")) == ["exported 5 blobs"]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param((), {"TERM": "dumb"}, id="term-dumb"),
        pytest.param(("--debug",), {}, id="debug"),
    ],
)
def test_plain_lines_on_a_terminal_that_cannot_redraw(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    output = in_terminal(*args, **env)

    assert bare_carriage_returns(output) == 0
    lines = output.replace("\r\n", "\n").splitlines()
    assert lines[0] == "uploading 5 blobs, 20.0 MiB"
    assert SUMMARY.fullmatch(lines[-2])
    assert lines[-1] == "exported 5 blobs"


def test_dumb_terminal_gets_no_escape_codes() -> None:
    assert "\x1b" not in in_terminal(TERM="dumb")


def test_plain_lines_in_a_log() -> None:
    completed = in_pipe()

    assert "\r" not in completed.stderr
    assert "\x1b" not in completed.stderr
    lines = completed.stderr.splitlines()
    assert lines[0] == "uploading 5 blobs, 20.0 MiB"
    assert lines[1] == "warning: the store is slow"
    assert SUMMARY.fullmatch(lines[2])
    assert len(lines) == 3
    assert completed.stdout == "exported 5 blobs\n"


def test_force_color_colours_a_log_without_redrawing() -> None:
    completed = in_pipe(FORCE_COLOR="1")

    assert "\r" not in completed.stderr
    assert "\x1b[33mwarning:\x1b[0m the store is slow" in completed.stderr
