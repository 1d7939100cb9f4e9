from __future__ import annotations

import io

import pytest

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import run_reporting_errors
from s3cache_cli.errors import (
    CacheNotFound,
    CredentialsError,
    OperationFailed,
    S3CacheError,
    UsageError,
)
from s3cache_cli.redact import register_secret


def run(error: S3CacheError, *, ignore_error: bool = False) -> tuple[int, str]:
    stderr = io.StringIO()
    app = App(stderr=stderr, ignore_error=ignore_error)

    def body() -> None:
        raise error

    with pytest.raises(SystemExit) as exit_info:
        run_reporting_errors(app, body, debug=False)
    return exit_info.value.code, stderr.getvalue()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        pytest.param(OperationFailed("upload failed"), 1, id="failed"),
        pytest.param(UsageError("bad flag"), 2, id="usage"),
        pytest.param(CacheNotFound("no cache app"), 3, id="not-found"),
        pytest.param(CredentialsError("access denied"), 4, id="credentials"),
    ],
)
def test_each_error_exits_with_its_code(error: S3CacheError, code: int) -> None:
    exit_code, stderr = run(error)

    assert exit_code == code
    assert stderr == f"error: {error.message}\n"


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(OperationFailed("upload failed"), id="failed"),
        pytest.param(CacheNotFound("no cache app"), id="not-found"),
        pytest.param(CredentialsError("access denied"), id="credentials"),
    ],
)
def test_ignore_error_turns_failures_into_a_warning(error: S3CacheError) -> None:
    exit_code, stderr = run(error, ignore_error=True)

    assert exit_code == 0
    assert stderr == f"warning: {error.message} (ignored: ignore-error=true)\n"


def test_ignore_error_never_hides_a_usage_error() -> None:
    exit_code, stderr = run(UsageError("bad flag"), ignore_error=True)

    assert exit_code == 2
    assert stderr.startswith("error: bad flag")


def test_hint_follows_the_error_and_secrets_are_masked() -> None:
    register_secret("wJalrXUtnFEMI-very-secret")
    error = CredentialsError(
        "key wJalrXUtnFEMI-very-secret refused", hint="check the profile"
    )

    _, stderr = run(error)

    assert stderr == "error: key *** refused\nhint: check the profile\n"
