"""-v names, in every command, the source of the credentials and the endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES

RUN_MAX = FIXTURES / "local" / "run-max"


def _arguments(command: str, spec: str, tmp_path: Path) -> list[str]:
    if command == "export":
        return [str(RUN_MAX), "--cache-to", spec]
    if command == "import":
        return [str(tmp_path / "imported"), "--cache-from", spec]
    if command == "inspect":
        return ["--cache-from", spec]
    return ["--dry-run", "--all", "--cache-to", spec]


@pytest.mark.parametrize("command", ["export", "import", "inspect", "prune"])
def test_verbose_names_the_credentials_and_the_endpoint(
    run_cli, buildkit_s3_bucket, tmp_path: Path, command: str
) -> None:
    spec = buildkit_s3_bucket.spec(name="app")
    endpoint = buildkit_s3_bucket.server.endpoint_url
    bucket = buildkit_s3_bucket.name

    result = run_cli(command, "-v", *_arguments(command, spec, tmp_path))

    assert result.exit_code == 0, result.output
    assert (
        f"credentials for s3://{bucket}: environment variables (AWS_ACCESS_KEY_ID)\n"
        in result.stderr
    )
    assert f"endpoint for s3://{bucket}: {endpoint}\n" in result.stderr


@pytest.mark.parametrize("command", ["export", "import", "inspect", "prune"])
def test_a_refused_secret_names_where_it_came_from_without_verbose(
    run_cli, buildkit_s3_bucket, tmp_path: Path, monkeypatch, command: str
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    spec = buildkit_s3_bucket.spec(name="app")

    result = run_cli(command, "--json", *_arguments(command, spec, tmp_path))

    error = result.json["error"]
    assert (result.exit_code, error["exit_code"]) == (4, 4)
    assert error["hint"] == (
        "the credentials came from environment variables (AWS_ACCESS_KEY_ID)"
    )
    assert "not-the-secret" not in result.output


def test_a_refused_copy_source_names_its_credentials(
    run_cli, buildkit_s3_bucket, s3_server, monkeypatch
) -> None:
    source = buildkit_s3_bucket.spec(
        name="app", access_key_id=s3_server.access_key, secret_access_key="wrong"
    )
    dest = buildkit_s3_bucket.spec(name="copy", prefix="copy/")

    result = run_cli("export", "-v", "--cache-from", source, "--cache-to", dest)

    assert result.exit_code == 4, result.output
    assert (
        "hint: the credentials came from the flag string "
        "(access_key_id/secret_access_key)" in result.stderr
    )
    assert f"endpoint for s3://{buildkit_s3_bucket.name}: " in result.stderr
