"""Workflow commands and the step summary, as the Actions runner reads them."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import RootGroup, cache_from_option, common_options
from s3cache_cli.ui.github import (
    SUMMARY_LIMIT,
    escape_data,
    escape_property,
    format_command,
)
from tests.ux.commands import probe

TOKEN = "FwoGZXIvYXdzEBYaDPsessiontoken0123456789"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYsecretkey"
S3_SPEC = "type=s3,bucket=ci-cache,region=eu-west-1,endpoint_url=http://127.0.0.1:9"


def run_probe(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(probe, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def actions(tmp_path: Path) -> dict[str, str]:
    """The variables a GitHub-hosted runner sets for a step."""
    summary = tmp_path / "step_summary.md"
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}


def summary_of(actions: dict[str, str]) -> str:
    return Path(actions["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        pytest.param("plain text", "plain text", "plain text", id="plain"),
        pytest.param("100%", "100%25", "100%25", id="percent"),
        pytest.param("%0A", "%250A", "%250A", id="escape-looking-text"),
        pytest.param("a\nb", "a%0Ab", "a%0Ab", id="newline"),
        pytest.param("a\r\nb", "a%0D%0Ab", "a%0D%0Ab", id="crlf"),
        pytest.param("s3://b/k", "s3://b/k", "s3%3A//b/k", id="colon"),
        pytest.param("a,b", "a,b", "a%2Cb", id="comma"),
        pytest.param("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax", id="command"),
    ],
)
def test_workflow_command_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_a_message_cannot_start_a_second_command() -> None:
    line = format_command("warning", "bad\n::error::injected", {"title": "s3cache"})

    assert line == "::warning title=s3cache::bad%0A::error::injected"
    assert "\n" not in line


def test_properties_are_joined_with_commas() -> None:
    line = format_command("error", "x", {"title": "a:b", "file": "c,d"})

    assert line == "::error title=a%3Ab,file=c%2Cd::x"


def test_failure_is_an_error_command_on_stdout(actions: dict[str, str]) -> None:
    result = run_probe("--cache-to", S3_SPEC, "--fail", "not-found", env=actions)

    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        "::error title=s3cache probe::no cache named main (caches there now: dev)"
    ]
    assert "error: no cache named main" in result.stderr


def test_with_json_workflow_commands_go_to_stderr(actions: dict[str, str]) -> None:
    result = run_probe("--json", "--warn", "slow", "--cache-to", S3_SPEC, env=actions)

    assert result.exit_code == 0
    assert json.loads(result.stdout)["destination"] == "s3://ci-cache/"
    assert "::warning title=s3cache probe::slow" in result.stderr.splitlines()


def test_ignored_failure_is_a_warning_command(actions: dict[str, str]) -> None:
    spec = S3_SPEC + ",ignore-error=true"
    result = run_probe("--cache-to", spec, "--fail", "failed", env=actions)

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "::warning title=s3cache probe::upload of s3://ci-cache/ failed "
        "(ignored: ignore-error=true)"
    ]


def test_no_workflow_commands_outside_actions(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": str(summary)}
    result = run_probe("--cache-to", S3_SPEC, "--fail", "failed", env=env)

    assert result.exit_code == 1
    assert "::" not in result.stdout + result.stderr
    assert not summary.exists()


def test_session_token_in_the_flag_string_is_masked_first(
    actions: dict[str, str],
) -> None:
    spec = (
        f"{S3_SPEC},access_key_id=AKIDEXAMPLE,secret_access_key={SECRET},"
        f"session_token={TOKEN}"
    )
    result = run_probe("--cache-to", spec, "--warn", f"token {TOKEN}", env=actions)

    lines = result.stdout.splitlines()
    assert sorted(lines[:2]) == sorted(
        [f"::add-mask::{SECRET}", f"::add-mask::{TOKEN}"]
    )
    rest = "\n".join(lines[2:]) + result.stderr + summary_of(actions)
    assert TOKEN not in rest
    assert SECRET not in rest
    assert "token ***" in result.stderr


def test_token_from_the_environment_variable_is_masked(
    actions: dict[str, str],
) -> None:
    env = {**actions, "S3CACHE_CACHE_FROM": f"{S3_SPEC},session_token={TOKEN}"}
    result = run_probe("--cache-to", S3_SPEC, env=env)

    assert result.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"
    assert result.stdout.count(TOKEN) == 1


def test_summary_says_what_how_much_and_how_long(actions: dict[str, str]) -> None:
    result = run_probe("--cache-to", S3_SPEC, "--items", "3", env=actions)

    assert result.exit_code == 0
    summary = summary_of(actions)
    assert summary.startswith("### ✅ s3cache probe: done in ")
    assert "| destination | `s3://ci-cache/` |" in summary
    assert "| bytes sent | 3.0 MiB |" in summary
    assert "| seconds | 1.5s |" in summary
    assert "| caches | `cache-0`, `cache-1`, `cache-2` |" in summary


def test_summary_of_a_failure_quotes_the_error(actions: dict[str, str]) -> None:
    run_probe("--cache-to", S3_SPEC, "--fail", "not-found", env=actions)

    summary = summary_of(actions)
    assert summary.startswith("### ❌ s3cache probe: failed (exit 3) after ")
    assert "> no cache named main" in summary


def test_summary_of_an_ignored_failure(actions: dict[str, str]) -> None:
    spec = S3_SPEC + ",ignore-error=true"
    run_probe("--cache-to", spec, "--fail", "failed", env=actions)

    summary = summary_of(actions)
    assert summary.startswith(
        "### ⚠️ s3cache probe: failed, ignored (ignore-error=true) after "
    )
    assert "> upload of s3://ci-cache/ failed" in summary


def test_each_run_appends_to_the_summary(actions: dict[str, str]) -> None:
    Path(actions["GITHUB_STEP_SUMMARY"]).write_text("# Build\n", encoding="utf-8")
    run_probe("--cache-to", S3_SPEC, env=actions)
    run_probe("--cache-to", S3_SPEC, "--warn", "slow | store", env=actions)

    summary = summary_of(actions)
    assert summary.startswith("# Build\n")
    assert summary.count("### ✅ s3cache probe") == 2
    assert "**Warnings**\n\n- slow | store\n" in summary


def test_summary_is_capped(actions: dict[str, str]) -> None:
    many = ["--warn", "w" * 200] * 30
    result = run_probe("--cache-to", S3_SPEC, "--items", "50000", *many, env=actions)

    assert result.exit_code == 0
    summary = summary_of(actions)
    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "and 49990 more" in summary
    assert "- and 10 more" in summary


def test_a_huge_result_is_cut_at_the_limit(actions: dict[str, str]) -> None:
    many = ["--warn", "x" * 900] * 20
    result = run_probe("--cache-to", S3_SPEC, *many, env=actions)

    summary = summary_of(actions)
    assert result.exit_code == 0
    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert summary.endswith("*(summary shortened: the rest is in the step's log)*\n")


def test_nothing_is_added_to_a_summary_near_githubs_limit(
    actions: dict[str, str],
) -> None:
    full = "x" * (1024 * 1024 - 100)
    Path(actions["GITHUB_STEP_SUMMARY"]).write_text(full, encoding="utf-8")
    result = run_probe("--cache-to", S3_SPEC, env=actions)

    assert result.exit_code == 0
    assert summary_of(actions) == full


@click.group(cls=RootGroup)
def s3cache() -> None:
    """The root group's class, with the probe in it."""


s3cache.add_command(probe)


def test_a_usage_error_is_an_error_command_too(actions: dict[str, str]) -> None:
    args = ["probe", "--cache-to", "type=s3,bucket=b,regio=x"]
    result = CliRunner().invoke(s3cache, args, env=actions, prog_name="s3cache")

    assert result.exit_code == 2
    command = result.stdout.splitlines()
    assert len(command) == 1
    assert command[0].startswith(
        "::error title=s3cache probe::Invalid value for '--cache-to'"
    )
    assert "%0A  type=s3,bucket=b,regio=x%0A" in command[0]
    assert "Error: Invalid value for '--cache-to'" in result.stderr
    assert summary_of(actions).startswith("### ❌ s3cache probe: failed (exit 2)")


def test_a_usage_error_with_json_keeps_stdout_for_the_document(
    actions: dict[str, str],
) -> None:
    args = ["probe", "--json", "--cache-to", "type=s3,regio=x"]
    result = CliRunner().invoke(s3cache, args, env=actions, prog_name="s3cache")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2
    assert "::error title=s3cache probe::" in result.stderr


def test_secrets_in_a_repeated_flag_are_masked(actions: dict[str, str]) -> None:
    @click.command()
    @cache_from_option("sources", help="Caches.", multiple=True)
    @common_options
    def read(app: App, sources: tuple[object, ...]) -> None:
        app.info("reading")

    spec = f"{S3_SPEC},access_key_id=AKID,secret_access_key={SECRET}"
    args = ["--cache-from", S3_SPEC, "--cache-from", spec]
    result = CliRunner().invoke(read, args, env=actions)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"::add-mask::{SECRET}"]


def test_an_ignored_failure_is_not_listed_again_as_a_warning(
    actions: dict[str, str],
) -> None:
    spec = S3_SPEC + ",ignore-error=true"
    run_probe("--cache-to", spec, "--fail", "failed", "--warn", "slow", env=actions)

    summary = summary_of(actions)
    assert "**Warnings**\n\n- slow\n" in summary
    assert summary.count("upload of s3://ci-cache/ failed") == 1
