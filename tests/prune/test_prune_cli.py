"""How prune reads its options, and how it asks before deleting on a terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

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
