"""With --json every command prints exactly one JSON document on stdout,
whether it succeeds, fails, fails under ignore-error=true, or is misused."""

from __future__ import annotations

import io
import json

import pytest

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import run_reporting_errors
from s3cache_cli.errors import CacheNotFound


def only_document(stdout: str) -> dict:
    """The one JSON document stdout holds; fails on anything before or after."""
    document, end = json.JSONDecoder().raw_decode(stdout)
    assert stdout[end:].strip() == "", "more than one document on stdout"
    assert document["schema_version"] == 1
    return document


def assert_error(result, *, exit_code: int, message: str, ignored: bool = False):
    document = only_document(result.stdout)
    error = document["error"]
    assert result.exit_code == (0 if ignored else exit_code), result.stderr
    assert error["exit_code"] == exit_code
    assert error["ignored"] is ignored
    assert message in error["message"]
    assert set(error) == {"message", "hint", "exit_code", "ignored"}
    return document


@pytest.fixture
def exported(run_cli, bucket, local_fixture) -> str:
    """A bucket holding the cache ``app``; its flag string without a name."""
    spec = bucket.spec(name="app")
    assert run_cli("export", str(local_fixture("run-max")), "--cache-to", spec)
    return bucket.spec()


# -- failures a command reports itself ------------------------------------------


def test_import_of_a_missing_cache_is_a_document_with_the_error(
    run_cli, bucket, tmp_path
) -> None:
    spec = bucket.spec(name="nope")

    result = run_cli("import", "--json", str(tmp_path / "d"), "--cache-from", spec)

    document = assert_error(result, exit_code=3, message="no cache found")
    assert document["command"] == "import"
    assert "s3cache inspect" in document["error"]["hint"]


def test_ignore_error_exits_0_and_still_prints_the_error(
    run_cli, bucket, tmp_path
) -> None:
    spec = bucket.spec(name="nope", **{"ignore-error": "true"})

    result = run_cli("import", "--json", str(tmp_path / "d"), "--cache-from", spec)

    assert_error(result, exit_code=3, message="no cache found", ignored=True)
    assert "(ignored: ignore-error=true)" in result.stderr


def test_export_of_a_missing_directory_is_a_document(run_cli, bucket, tmp_path) -> None:
    missing = str(tmp_path / "nothing-here")

    result = run_cli("export", "--json", missing, "--cache-to", bucket.spec())

    document = assert_error(result, exit_code=3, message="nothing-here")
    assert document["command"] == "export"


def test_prune_of_a_missing_name_keeps_its_report_and_adds_the_error(
    run_cli, exported
) -> None:
    spec = exported + ",name=nope"

    result = run_cli("prune", "--json", "--force", "--cache-to", spec)

    document = assert_error(result, exit_code=3, message="'nope'")
    assert document["caches_missing"] == ["nope"]
    assert document["caches_kept"] == ["app"]


def test_inspect_check_failure_keeps_the_result_and_adds_the_error(
    run_cli, bucket, exported
) -> None:
    blob = next(key for key in bucket.keys("blobs/"))
    bucket.delete(blob)

    result = run_cli("inspect", "--json", "--check", "--cache-from", exported)

    document = assert_error(result, exit_code=1, message="missing")
    assert [cache["name"] for cache in document["caches"]] == ["app"]
    assert document["check"]["ok"] is False


def test_credentials_failure_is_a_document(run_cli, bucket, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")

    result = run_cli("inspect", "--json", "--cache-from", bucket.spec())

    document = assert_error(result, exit_code=4, message="secret access key")
    assert "not-the-secret" not in result.stdout
    assert document["command"] == "inspect"


# -- usage errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        pytest.param(
            ("import", "--json", "d"),
            "import",
            "Missing option '--cache-from'",
            id="import-missing-option",
        ),
        pytest.param(
            ("export", "--json", "d", "--cache-to", "type=s3,bucket=b,regio=x"),
            "export",
            "did you mean 'region'?",
            id="export-bad-key",
        ),
        pytest.param(
            ("inspect", "--json", "--cache-from", "type=gha"),
            "inspect",
            "--cache-from",
            id="inspect-bad-type",
        ),
        pytest.param(
            (
                "prune",
                "--json",
                "--force",
                "--grace",
                "2d",
                "--cache-to",
                "type=local,dest=x",
            ),
            "prune",
            "--grace 2d",
            id="prune-bad-grace",
        ),
        pytest.param(
            ("prune", "--json", "--force"),
            "prune",
            "which cache?",
            id="prune-no-spec",
        ),
        pytest.param(
            ("import", "--json", "d", "--bogus"),
            "import",
            "No such option",
            id="unknown-option",
        ),
        pytest.param(("nosuch", "--json"), None, "No such command", id="no-command"),
        pytest.param(("--json",), None, "No such option", id="root-option"),
    ],
)
def test_usage_errors_are_a_document_with_exit_2(
    run_cli, args, command, message
) -> None:
    result = run_cli(*args)

    document = assert_error(result, exit_code=2, message=message)
    assert document["command"] == command


def test_a_usage_error_names_the_help_to_read(run_cli) -> None:
    result = run_cli("import", "--json", "d")

    assert only_document(result.stdout)["error"]["hint"] == (
        "see 's3cache import --help'"
    )


def test_secrets_in_a_refused_flag_string_stay_masked(run_cli) -> None:
    spec = "type=s3,bucket=b,secret_access_key=Very-Secret-Value-42,regio=x"

    result = run_cli("export", "--json", "d", "--cache-to", spec)

    assert result.exit_code == 2
    assert "Very-Secret-Value-42" not in result.stdout + result.stderr


# -- success: one document, no error ----------------------------------------------


def test_every_command_prints_one_document_without_error(
    run_cli, exported, tmp_path
) -> None:
    runs = [
        run_cli("inspect", "--json", "--cache-from", exported),
        run_cli(
            "import",
            "--json",
            str(tmp_path / "d"),
            "--cache-from",
            exported + ",name=app",
        ),
        run_cli("prune", "--json", "--dry-run", "--cache-to", exported),
    ]

    for result in runs:
        assert result.exit_code == 0, result.stderr
        assert "error" not in only_document(result.stdout)


# -- the App on its own ------------------------------------------------------------


def run_app(body, *, debug: bool = False) -> str:
    stdout = io.StringIO()
    app = App(json_output=True, stdout=stdout, stderr=io.StringIO(), command="x")
    with pytest.raises((SystemExit, RuntimeError, CacheNotFound)):
        run_reporting_errors(app, body, debug)
    return stdout.getvalue()


def test_an_unexpected_exception_still_prints_a_document() -> None:
    def body() -> None:
        raise RuntimeError("boom")

    error = only_document(run_app(body))["error"]

    assert error["message"] == "unexpected error: RuntimeError: boom"
    assert error["exit_code"] == 1


def test_with_debug_an_error_keeps_its_message_and_exit_1() -> None:
    def body() -> None:
        raise CacheNotFound("no cache 'x'", hint="look elsewhere")

    error = only_document(run_app(body, debug=True))["error"]

    assert (error["message"], error["hint"]) == ("no cache 'x'", "look elsewhere")
    assert error["exit_code"] == 1


def test_interrupted_is_a_document_with_exit_130() -> None:
    def body() -> None:
        raise KeyboardInterrupt

    error = only_document(run_app(body))["error"]

    assert (error["message"], error["exit_code"]) == ("interrupted", 130)
