"""How prune reads its options, and how it asks before deleting on a terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.ux.screen import ANSI

REPOSITORY = Path(__file__).resolve().parents[2]
# Usage errors come before any connection, so this endpoint is never reached.
SPEC = "type=s3,bucket=b,region=r,endpoint_url=http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--filter", "label=x"], "unknown filter 'label=x'", id="filter-key"
        ),
        pytest.param(
            ["--filter", "until=7d"], "168h (Go has no day unit)", id="filter-days"
        ),
        pytest.param(
            ["--keep-storage", "10G"], "'10G' is ambiguous", id="ambiguous-size"
        ),
        pytest.param(
            ["--keep-storage", "lots"], "'lots' is not a size", id="not-a-size"
        ),
        pytest.param(["--grace", "1d"], "--grace 1d: unknown unit", id="grace-days"),
        pytest.param(["--grace", "-1h"], "--grace -1h is negative", id="grace-neg"),
        pytest.param(
            ["--cache-from", SPEC], "--cache-to or --cache-from, not both", id="both"
        ),
    ],
)
def test_bad_options_are_usage_errors(run_cli, args: list[str], message: str) -> None:
    result = run_cli("prune", "--cache-to", SPEC, "--force", *args)

    assert result.exit_code == 2
    assert message in result.stderr


def test_prune_needs_a_cache(run_cli) -> None:
    result = run_cli("prune", "--force")

    assert result.exit_code == 2
    assert "which cache? give --cache-to" in result.stderr


def test_a_bad_flag_string_points_at_the_flag(run_cli) -> None:
    result = run_cli("prune", "--cache-to", "type=gha", "--force")

    assert result.exit_code == 2
    assert "--cache-to" in result.stderr


def test_help_says_durations_are_go_durations(run_cli) -> None:
    result = run_cli("prune", "--help")

    assert result.exit_code == 0
    assert "a Go duration (24h, 90m, 168h; no days)" in " ".join(result.stdout.split())


NAME_ALONE = "--filter name= only narrows --all, --filter until= and --keep-storage"


@pytest.mark.parametrize(
    ("spec_attributes", "args", "warned"),
    [
        pytest.param("", ["--filter", "name=pr-*"], True, id="name-alone"),
        pytest.param(
            "", ["--filter", "name=pr-*", "--filter", "name=v*"], True, id="two-names"
        ),
        pytest.param("", ["--filter", "name=pr-*", "--all"], False, id="with-all"),
        pytest.param(
            "", ["--filter", "name=pr-*", "--filter", "until=1h"], False, id="until"
        ),
        pytest.param(
            "", ["--filter", "name=pr-*", "--keep-storage", "1GB"], False, id="keep"
        ),
        pytest.param(",tag=latest", ["--filter", "name=l*"], False, id="tag-given"),
        pytest.param("", [], False, id="no-filter"),
    ],
)
def test_a_name_filter_alone_says_it_selects_nothing(
    run_cli, local_fixture, spec_attributes: str, args: list[str], warned: bool
) -> None:
    spec = f"type=local,dest={local_fixture('run-max')}{spec_attributes}"

    result = run_cli("prune", "--dry-run", "--cache-to", spec, *args)

    assert result.exit_code == 0, result.stderr
    assert (NAME_ALONE in " ".join(result.stderr.split())) is warned
    if warned:
        assert "add --all to delete the caches it matches" in result.stderr
        assert "would delete 0 caches" in result.stdout


def spawn_prune(seeded, *args: str) -> pexpect.spawn:
    """prune in a real terminal, so it may ask its question."""
    argv = ["-m", "s3cache_cli", "prune", "--cache-to", seeded.spec(), *args]
    return pexpect.spawn(
        sys.executable,
        argv,
        cwd=str(REPOSITORY),
        env=dict(os.environ),
        encoding="utf-8",
        timeout=30,
    )


def test_on_a_terminal_no_deletes_nothing_and_is_no_failure(ab_caches) -> None:
    before = ab_caches.stored()
    child = spawn_prune(ab_caches, "--all", "--grace", "0s")

    child.expect("caches to delete from s3://")
    child.expect("blobs to delete: 5")
    child.expect(r"Delete them\? \[y/N\]")
    child.sendline("n")
    child.expect("nothing was deleted")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    assert ab_caches.stored() == before


def test_on_a_terminal_yes_deletes(ab_caches) -> None:
    child = spawn_prune(ab_caches, "--grace", "0s")

    child.expect(r"Delete them\? \[y/N\]")
    child.sendline("y")
    child.expect("deleted 2 blobs")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    assert ab_caches.blob_key("orphan-1") not in ab_caches.stored()
    assert "manifests/a" in ab_caches.stored()


def test_on_a_terminal_ctrl_c_at_the_question_is_an_interruption(ab_caches) -> None:
    before = ab_caches.stored()
    child = spawn_prune(ab_caches, "--all", "--grace", "0s")

    child.expect(r"Delete them\? \[y/N\]")
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 130
    assert ANSI.sub("", child.before) == ": ^C\r\nerror: interrupted\r\n"
    assert ab_caches.stored() == before


def test_with_json_ctrl_c_at_the_question_is_one_error_document(ab_caches) -> None:
    child = spawn_prune(ab_caches, "--all", "--json")

    child.expect(r"Delete them\? \[y/N\]")
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 130
    assert child.before.count('"schema_version"') == 1
    assert '"message": "interrupted"' in child.before
    assert '"exit_code": 130' in child.before


@pytest.mark.parametrize(
    "json_flag", [pytest.param([], id="text"), pytest.param(["--json"], id="json")]
)
def test_on_a_terminal_end_of_input_answers_no(ab_caches, json_flag: list[str]) -> None:
    before = ab_caches.stored()
    child = spawn_prune(ab_caches, "--all", "--grace", "0s", *json_flag)

    child.expect(r"Delete them\? \[y/N\]")
    child.send("\x04")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    assert "error" not in child.before
    if json_flag:
        assert '"declined": true' in child.before
    else:
        assert "nothing was deleted" in child.before
    assert ab_caches.stored() == before
