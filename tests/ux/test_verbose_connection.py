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
