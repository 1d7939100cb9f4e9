"""Each command's --help has the same shape: what it does, examples, exit
status, then the options and nothing after them."""

from __future__ import annotations

import re

import pytest

COMMANDS = ("export", "import", "inspect", "prune")


def help_text(run_cli, command: str) -> str:
    result = run_cli(command, "--help")
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_examples_and_exit_status_come_before_the_options(
    run_cli, command: str
) -> None:
    text = help_text(run_cli, command)
    before, options = text.split("\nOptions:\n", 1)

    assert re.search(rf"^    s3cache {command} ", before, re.M), before
    assert "Exit status:" in before
    assert before.index(f"    s3cache {command} ") < before.index("Exit status:")
    assert "s3cache" not in options.split("-h, --help")[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_exit_status_lists_every_code(run_cli, command: str) -> None:
    text = " ".join(help_text(run_cli, command).split())
    status = text.split("Exit status: ", 1)[1].split(" Options:", 1)[0]

    codes = re.findall(r"(?:^|, )(\d) ", status)

    assert codes == ["0", "1", "2", "3", "4"], status
    assert ", 2 usage" in status
    assert status.endswith("4 credentials.")
