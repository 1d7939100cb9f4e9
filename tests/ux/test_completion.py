"""TAB inside flag strings, through click's completion protocol and real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from devtools.completions import main as completions_main
from devtools.completions import stale_scripts
from s3cache_cli.cli import cli
from s3cache_cli.cli.completion import BOOLEANS, CHOICES, readers, suggest
from s3cache_cli.cli.shells import SCRIPT_NAMES, script
from s3cache_cli.spec import parse_cache_spec
from tests.ux.commands import probe

REPO = Path(__file__).resolve().parents[2]


@click.group()
def s3cache() -> None:
    """The real root group's shape, with the probe command in it."""


s3cache.add_command(probe)


def complete(line: str, shell: str = "bash") -> list[tuple[str, str]]:
    """(type, value) of each completion for ``line``, cursor at its end."""
    words = line.split(" ")
    env = {
        "_S3CACHE_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    result = CliRunner().invoke(s3cache, [], env=env, prog_name="s3cache")
    assert result.exit_code == 0, result.output
    pairs = result.stdout.strip("\n").split("\n")
    return [tuple(pair.split(",", 1)) for pair in pairs if pair]  # type: ignore[misc]


def values(line: str) -> list[str]:
    return [value for _, value in complete(line)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "s3cache probe --cache-to type=s3,reg",
            [("nospace", "type=s3,region=")],
            id="key-from-its-start",
        ),
        pytest.param(
            "s3cache probe --cache-to ",
            [("nospace", "type=s3,"), ("nospace", "type=local,")],
            id="empty-offers-the-types",
        ),
        pytest.param(
            "s3cache probe --cache-to type=l",
            [("nospace", "type=local,")],
            id="type-value",
        ),
        pytest.param(
            "s3cache probe --cache-to TYPE=s3,BUCK",
            [("nospace", "TYPE=s3,bucket=")],
            id="keys-are-read-lower-cased",
        ),
        pytest.param(
            "s3cache probe --cache-to type=s3,bucket=b,use_path_style=",
            [
                ("plain", "type=s3,bucket=b,use_path_style=true"),
                ("plain", "type=s3,bucket=b,use_path_style=false"),
            ],
            id="boolean-values",
        ),
        pytest.param(
            "s3cache probe --cache-to type=s3,retry_mode=a",
            [("plain", "type=s3,retry_mode=adaptive")],
            id="choice-value",
        ),
        pytest.param(
            "s3cache probe --cache-to type=local,dest=x,m",
            [("nospace", "type=local,dest=x,mode=")],
            id="local-to-keys",
        ),
        pytest.param(
            "s3cache probe --cache-from type=local,src=x,d",
            [("nospace", "type=local,src=x,digest=")],
            id="local-from-keys",
        ),
        pytest.param(
            "s3cache probe --cache-from type=s3,m",
            [("nospace", "type=s3,manifests_prefix=")],
            id="no-mode-on-cache-from",
        ),
        pytest.param(
            "s3cache probe --cache-to type=s3,use_path_style=true",
            [],
            id="a-complete-value",
        ),
        pytest.param(
            "s3cache probe --cache-to type=s3,zz",
            [],
            id="unknown-key",
        ),
        pytest.param(
            's3cache probe --cache-to "name=a',
            [],
            id="quoted-field",
        ),
    ],
)
def test_flag_string_completion(line: str, expected: list[tuple[str, str]]) -> None:
    assert complete(line) == expected


def test_keys_already_present_are_not_offered() -> None:
    offered = values("s3cache probe --cache-to type=s3,region=r,bucket=b,")

    assert "type=s3,region=r,bucket=b,name=" in offered
    assert not any(value.endswith((",region=", ",bucket=")) for value in offered)
    assert not any(",type=" in value[7:] for value in offered)


def test_ignored_buildx_keys_are_not_offered() -> None:
    offered = values("s3cache probe --cache-to type=s3,co")

    assert offered == []


def test_without_a_type_the_keys_of_both_types_are_offered() -> None:
    offered = values("s3cache probe --cache-to bucket=b,")

    assert "bucket=b,type=s3," in offered
    assert "bucket=b,region=" in offered
    assert "bucket=b,dest=" in offered


def test_region_from_the_environment_is_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")

    assert values("s3cache probe --cache-to type=s3,region=") == [
        "type=s3,region=eu-central-1"
    ]


def test_directories_for_dest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cached-file").write_text("")
    (tmp_path / ".hidden").mkdir()
    monkeypatch.chdir(tmp_path)

    assert complete("s3cache probe --cache-to type=local,dest=") == [
        ("nospace", "type=local,dest=cache/")
    ]
    assert values(f"s3cache probe --cache-to type=local,dest={tmp_path}/ca") == [
        f"type=local,dest={tmp_path}/cache/"
    ]


def test_commands_and_options_are_completed() -> None:
    assert values("s3cache pro") == ["probe"]
    assert "--cache-to" in values("s3cache probe --cache")


def test_zsh_and_fish_get_descriptions() -> None:
    env = {
        "_S3CACHE_COMPLETE": "zsh_complete",
        "COMP_WORDS": "s3cache probe --cache-to type=s3,reg",
        "COMP_CWORD": "3",
    }
    zsh = CliRunner().invoke(s3cache, [], env=env, prog_name="s3cache")
    env.update(_S3CACHE_COMPLETE="fish_complete", COMP_CWORD="type=s3,reg")
    fish = CliRunner().invoke(s3cache, [], env=env, prog_name="s3cache")

    assert zsh.stdout.splitlines() == ["nospace", "type=s3,region=", "AWS region"]
    assert fish.stdout.splitlines() == ["plain,type=s3,region=\tAWS region"]


@pytest.mark.parametrize("key", sorted(CHOICES))
def test_each_offered_choice_parses(key: str) -> None:
    for value in CHOICES[key]:
        spec = parse_cache_spec(
            f"type=s3,bucket=b,region=r,{key}={value}", direction="to"
        )
        assert getattr(spec, key) == value


@pytest.mark.parametrize(
    ("type_name", "direction"),
    [("s3", "to"), ("s3", "from"), ("local", "to"), ("local", "from")],
)
def test_every_choice_key_has_its_values(type_name: str, direction: str) -> None:
    """A key read by a choice of values must be listed, or TAB offers nothing."""
    for key, reader in readers(type_name, direction).items():  # type: ignore[arg-type]
        if reader.__qualname__.startswith("choice."):
            assert key in CHOICES


def test_offered_booleans_parse() -> None:
    for value in BOOLEANS:
        spec = parse_cache_spec(
            f"type=s3,bucket=b,region=r,use_path_style={value}", direction="to"
        )
        assert spec.use_path_style is (value == "true")


def test_suggest_follows_allowed_types() -> None:
    offered = suggest("", direction="to", allowed_types=("s3",), environ={})

    assert [item.value for item in offered] == ["type=s3,"]


# The scripts in completions/, run by the shells themselves.


def test_completion_scripts_are_current() -> None:
    stale = stale_scripts()

    assert stale == [], "completions/ is stale: run make completions"
    assert completions_main(["--check"]) == 0


def test_scripts_come_from_the_app() -> None:
    for shell, name in SCRIPT_NAMES.items():
        text = (REPO / "completions" / name).read_text(encoding="utf-8")
        assert text == script(shell, cli)
        assert "_S3CACHE_COMPLETE" in text


@pytest.fixture
def probe_on_path(tmp_path: Path) -> dict[str, str]:
    """An ``s3cache`` executable on PATH whose root group holds the probe."""
    program = tmp_path / "bin" / "s3cache"
    program.parent.mkdir()
    program.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from s3cache_cli.cli import cli\n"
        "from tests.ux.commands import probe\n"
        "cli.add_command(probe)\n"
        "cli.main(prog_name='s3cache')\n"
    )
    program.chmod(0o755)
    return {**os.environ, "PATH": f"{program.parent}{os.pathsep}{os.environ['PATH']}"}


def bash_complete(line: str, env: dict[str, str]) -> list[str]:
    """COMPREPLY after bash, with our script sourced, completes ``line``.

    COMP_WORDS and ``$2`` are split as bash's readline splits them by default:
    at ``=`` and ``:`` as well as at spaces.
    """
    script_path = REPO / "completions" / SCRIPT_NAMES["bash"]
    program = f"""
source {script_path}
line={_bash_quote(line)}
COMP_LINE=$line
COMP_POINT=${{#line}}
cur=${{line##*[ =:]}}
COMP_WORDS=(s3cache)
COMP_CWORD=1
_s3cache_completion s3cache "$cur" "" 2>/dev/null
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    completed = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return completed.stdout.splitlines()


def _bash_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(
    ("line", "reply"),
    [
        pytest.param(
            "s3cache probe --cache-to type=s3,reg", ["s3,region="], id="after-equals"
        ),
        pytest.param(
            "s3cache probe --cache-to type=s3,endpoint_url=http://h:1,us",
            ["1,use_path_style="],
            id="after-colon",
        ),
        pytest.param(
            "s3cache probe --cache-to type=", ["s3,", "local,"], id="type-values"
        ),
        pytest.param("s3cache pro", ["probe"], id="command"),
    ],
)
def test_bash_script_replies_relative_to_the_word_bash_replaces(
    line: str, reply: list[str], probe_on_path: dict[str, str]
) -> None:
    assert bash_complete(line, probe_on_path) == reply
