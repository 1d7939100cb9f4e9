"""NO_COLOR, FORCE_COLOR and TERM=dumb, as the conventions of no-color.org and
force-color.org and the terminal database read them."""

from __future__ import annotations

import io
import json
import os
import pty

import pytest
from click.testing import CliRunner

from s3cache_cli.cli.app import App, wants_colour
from tests.ux.commands import probe

ESCAPE = "\x1b["
S3_SPEC = "type=s3,bucket=ci-cache,region=eu-west-1"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "tty", "colour"),
    [
        pytest.param({}, True, True, id="terminal"),
        pytest.param({}, False, False, id="pipe"),
        pytest.param({"NO_COLOR": "1"}, True, False, id="no-color"),
        pytest.param({"NO_COLOR": ""}, True, True, id="empty-no-color-is-unset"),
        pytest.param({"FORCE_COLOR": "1"}, False, True, id="force-color-in-a-log"),
        pytest.param({"FORCE_COLOR": ""}, True, True, id="empty-force-color-is-unset"),
        pytest.param({"FORCE_COLOR": "0"}, True, False, id="force-color-0"),
        pytest.param({"FORCE_COLOR": "false"}, True, False, id="force-color-false"),
        pytest.param(
            {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False, id="no-color-wins"
        ),
        pytest.param({"TERM": "dumb"}, True, False, id="dumb-terminal"),
        pytest.param(
            {"TERM": "dumb", "FORCE_COLOR": "1"}, True, True, id="dumb-but-forced"
        ),
        pytest.param({"TERM": "xterm-256color"}, True, True, id="xterm"),
    ],
)
def test_when_colour_is_wanted(environ: dict[str, str], tty: bool, colour: bool):
    stream = Terminal() if tty else io.StringIO()

    assert wants_colour(stream, environ) is colour


def probe_stderr(env: dict[str, str]) -> str:
    args = ["--cache-to", S3_SPEC, "--warn", "slow", "--fail", "failed"]
    result = CliRunner().invoke(probe, args, env=env)
    assert result.exit_code == 1
    return result.stderr


def test_plain_labels_in_a_pipe() -> None:
    stderr = probe_stderr({"FORCE_COLOR": None, "NO_COLOR": None, "TERM": "xterm"})

    assert stderr == ("warning: slow\nerror: upload of s3://ci-cache/ failed\n")


def test_force_color_colours_labels_in_a_log() -> None:
    stderr = probe_stderr({"FORCE_COLOR": "1", "NO_COLOR": None})

    assert "\x1b[33mwarning:\x1b[0m slow\n" in stderr
    assert "\x1b[1;31merror:\x1b[0m upload of s3://ci-cache/ failed\n" in stderr


def test_no_color_beats_force_color() -> None:
    stderr = probe_stderr({"FORCE_COLOR": "1", "NO_COLOR": "1"})

    assert ESCAPE not in stderr


def test_json_is_never_coloured() -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": None}
    result = CliRunner().invoke(probe, ["--json", "--cache-to", S3_SPEC], env=env)

    assert ESCAPE not in result.stdout
    assert json.loads(result.stdout)["destination"] == "s3://ci-cache/"


@pytest.mark.parametrize(
    ("term", "live"),
    [
        pytest.param("xterm-256color", True, id="xterm"),
        pytest.param("dumb", False, id="dumb"),
    ],
)
def test_live_display_needs_a_terminal_that_redraws(term: str, live: bool) -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as tty:
        app = App(stderr=tty, environ={"TERM": term})
        assert app.live_display is live
        assert App(stderr=io.StringIO(), environ={"TERM": term}).live_display is False
    os.close(leader)
