"""TAB on the DIR argument of export and import: the shell offers directories.

The real commands are asked through click's completion protocol, in process,
the way each shell's script in completions/ asks them.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from s3cache_cli.cli import cli


def bash_reply(line: str) -> list[str]:
    """What the bash script reads back, as the script itself sends the line."""
    env = {
        "_S3CACHE_COMPLETE": "bash_complete",
        "COMP_LINE": line,
        "COMP_CUR": line.rsplit(" ", 1)[-1],
    }
    result = CliRunner().invoke(cli, [], env=env, prog_name="s3cache")
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        pytest.param("s3cache export ", ["dir,"], id="export-empty"),
        pytest.param("s3cache export /tmp/ca", ["dir,/tmp/ca"], id="export-partial"),
        pytest.param(
            "s3cache export --cache-to type=s3,bucket=b ./bu",
            ["dir,./bu"],
            id="export-after-an-option",
        ),
        pytest.param("s3cache import ", ["dir,"], id="import-empty"),
        pytest.param(
            "s3cache import --cache-from type=s3,bucket=b cache",
            ["dir,cache"],
            id="import-after-an-option",
        ),
    ],
)
def test_dir_argument_completes_as_a_directory(line: str, reply: list[str]) -> None:
    assert bash_reply(line) == reply


def test_options_are_still_offered_for_a_dash() -> None:
    reply = bash_reply("s3cache export --cache-f")

    assert reply == ["plain,--cache-from"]


def test_a_second_word_after_dir_is_not_a_directory() -> None:
    assert bash_reply("s3cache export /tmp/cache ") == []


@pytest.mark.parametrize(
    ("shell", "reply"),
    [
        pytest.param("zsh", ["dir", "/tm", "_"], id="zsh"),
        pytest.param("fish", ["dir,/tm"], id="fish"),
    ],
)
def test_zsh_and_fish_are_told_to_complete_directories(
    shell: str, reply: list[str]
) -> None:
    env = {
        "_S3CACHE_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": "s3cache import /tm",
        "COMP_CWORD": "2" if shell == "zsh" else "/tm",
    }
    result = CliRunner().invoke(cli, [], env=env, prog_name="s3cache")

    assert result.stdout.splitlines() == reply
