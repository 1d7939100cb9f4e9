"""S3CACHE_CACHE_TO and S3CACHE_CACHE_FROM: set once in a Makefile or workflow."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from s3cache_cli.cli.options import cache_from_option, cache_to_option
from tests.ux.commands import probe

TO = "type=s3,bucket=ci-cache,region=eu-west-1,prefix=team/"
FROM = "type=local,src=/tmp/cache"


def run(*args: str, **env: str):
    return CliRunner().invoke(probe, ["--json", *args], env=env)


def test_flags_default_to_the_variables() -> None:
    result = run(S3CACHE_CACHE_TO=TO, S3CACHE_CACHE_FROM=FROM)

    assert result.exit_code == 0, result.output
    assert result.stdout and json.loads(result.stdout)["destination"] == (
        "s3://ci-cache/team/"
    )
    assert json.loads(result.stdout)["source"] == "/tmp/cache"


def test_a_flag_on_the_command_line_wins() -> None:
    typed = "type=s3,bucket=other,region=eu-west-1"
    result = run("--cache-to", typed, S3CACHE_CACHE_TO=TO)

    assert json.loads(result.stdout)["destination"] == "s3://other/"


def test_an_empty_variable_is_no_value() -> None:
    result = run(S3CACHE_CACHE_TO="")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["destination"] == "nowhere"


def test_a_bad_variable_is_a_usage_error_that_names_it() -> None:
    result = run(S3CACHE_CACHE_TO="type=s3,bucket=b,regio=x")

    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--cache-to' (from the environment variable "
        "S3CACHE_CACHE_TO): unknown key 'regio'"
    ) in result.stderr


def test_a_bad_typed_flag_does_not_blame_the_variable() -> None:
    result = run("--cache-to", "type=s3,bucket=b,regio=x", S3CACHE_CACHE_TO=TO)

    assert result.exit_code == 2
    assert "Error: Invalid value for '--cache-to': unknown key 'regio'" in (
        result.stderr
    )
    assert "S3CACHE_CACHE_TO" not in result.stderr


BAD_TO = "type=s3,bucket=b,regio=x"
BAD_FROM = "type=locl,src=/tmp/cache"


@pytest.mark.parametrize(
    ("args", "env", "flag", "variable"),
    [
        pytest.param(
            ["export", "/tmp/cache"],
            {"S3CACHE_CACHE_TO": BAD_TO},
            "--cache-to",
            "S3CACHE_CACHE_TO",
            id="export-cache-to",
        ),
        pytest.param(
            ["export", "--cache-to", TO],
            {"S3CACHE_CACHE_FROM": BAD_FROM},
            "--cache-from",
            "S3CACHE_CACHE_FROM",
            id="export-cache-from",
        ),
        pytest.param(
            ["inspect"],
            {"S3CACHE_CACHE_FROM": BAD_FROM},
            "--cache-from",
            "S3CACHE_CACHE_FROM",
            id="inspect-cache-from",
        ),
        pytest.param(
            ["import", "/tmp/cache"],
            {"S3CACHE_CACHE_FROM": BAD_TO},
            "--cache-from",
            "S3CACHE_CACHE_FROM",
            id="import-cache-from",
        ),
    ],
)
def test_the_real_commands_blame_a_variable_only_when_it_was_read(
    run_cli, args: list[str], env: dict[str, str], flag: str, variable: str
) -> None:
    bad = env[variable]

    from_variable = run_cli(*args, env=env)
    typed = run_cli(*args, flag, bad, env={variable: ""})
    typed_over_good = run_cli(*args, flag, bad, env={variable: _good(variable)})

    assert from_variable.exit_code == 2
    assert f"'{flag}' (from the environment variable {variable}):" in (
        from_variable.stderr
    )
    for result in (typed, typed_over_good):
        assert result.exit_code == 2
        assert f"Invalid value for '{flag}': " in result.stderr
        assert variable not in result.stderr


def _good(variable: str) -> str:
    return TO if variable == "S3CACHE_CACHE_TO" else FROM


def test_a_missing_option_says_the_variable_can_give_it(run_cli) -> None:
    result = run_cli("export", "/tmp/cache", env={"S3CACHE_CACHE_TO": ""})

    assert result.exit_code == 2
    assert (
        "Missing option '--cache-to' (or set the environment variable "
        "S3CACHE_CACHE_TO)."
    ) in result.stderr


def test_help_names_the_variables() -> None:
    result = CliRunner().invoke(probe, ["--help"], terminal_width=200)

    assert "env var: S3CACHE_CACHE_TO" in result.stdout
    assert "env var: S3CACHE_CACHE_FROM" in result.stdout


# --debug, -v and the AWS variables, against the test S3 server.

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken0123456789abcdef"
SECRET = "flag-string-secret-0123456789abcdef"


def test_debug_shows_botocore_logs_with_secrets_masked(bucket) -> None:
    spec = bucket.spec(
        access_key_id="AKIDS3CACHETEST",
        secret_access_key=SECRET,
        session_token=TOKEN,
    )
    result = CliRunner().invoke(
        probe, ["--debug", "--connect", "--cache-to", spec], catch_exceptions=True
    )

    assert "DEBUG botocore" in result.stderr
    assert "X-Amz-Security-Token" in result.stderr
    assert TOKEN not in result.output
    assert SECRET not in result.output
    assert "***" in result.stderr


def test_verbose_names_the_credential_source(bucket) -> None:
    result = CliRunner().invoke(probe, ["-v", "--connect", "--cache-to", bucket.spec()])

    assert result.exit_code == 0, result.output
    assert (
        f"credentials for s3://{bucket.name}: environment variables (AWS_ACCESS_KEY_ID)"
        in result.stderr
    )


def test_aws_variables_fill_what_the_flag_string_leaves_out(
    bucket, s3_server, tmp_path, monkeypatch
) -> None:
    """A profile's keys, the region and the endpoint from AWS_* variables."""
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[ci]\naws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    env = {
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_PROFILE": "ci",
        "AWS_REGION": s3_server.region,
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint_url,
        "S3CACHE_CACHE_TO": f"type=s3,bucket={bucket.name},use_path_style=true",
    }
    result = CliRunner().invoke(probe, ["-v", "--connect", "--json"], env=env)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["destination"] == f"s3://{bucket.name}/"
    assert (
        f"credentials for s3://{bucket.name}: the shared credentials file, "
        "profile 'ci'" in result.stderr
    )


def test_a_local_or_destructive_use_does_not_read_the_variable() -> None:
    @click.command()
    @cache_to_option(help="The directory.", allowed_types=("local",), environment=False)
    def write(cache_to: object) -> None:
        click.echo(f"cache_to={cache_to}")

    result = CliRunner().invoke(write, [], env={"S3CACHE_CACHE_TO": TO})

    assert result.exit_code == 0, result.output
    assert result.stdout == "cache_to=None\n"
    assert "S3CACHE_CACHE_TO" not in CliRunner().invoke(write, ["--help"]).stdout


def test_a_repeatable_flag_takes_the_variable_too() -> None:
    @click.command()
    @cache_from_option("sources", help="Caches.", multiple=True, required=True)
    def read(sources: tuple[object, ...]) -> None:
        click.echo(" ".join(spec.bucket for spec in sources))  # type: ignore[attr-defined]

    result = CliRunner().invoke(read, [], env={"S3CACHE_CACHE_FROM": TO})

    assert result.exit_code == 0, result.output
    assert result.stdout == "ci-cache\n"


def test_debug_does_not_leak_into_the_next_command(bucket) -> None:
    CliRunner().invoke(probe, ["--debug", "--connect", "--cache-to", bucket.spec()])
    result = CliRunner().invoke(probe, ["-q", "--connect", "--cache-to", bucket.spec()])

    assert result.exit_code == 0
    assert result.stderr == ""
