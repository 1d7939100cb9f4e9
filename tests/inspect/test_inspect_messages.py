"""What inspect says on stderr while it works: each thing once."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("attributes", "options"),
    [
        pytest.param({}, [], id="every-cache"),
        pytest.param({"name": "app"}, [], id="named"),
        pytest.param({}, ["--check"], id="check"),
        pytest.param({"name": "app"}, ["--check"], id="named-check"),
        pytest.param({"name": "app"}, ["--check", "-v"], id="named-check-verbose"),
    ],
)
def test_reading_is_said_once(
    run_cli, buildkit_s3_bucket, attributes: dict[str, str], options: list[str]
) -> None:
    spec = buildkit_s3_bucket.spec(**attributes)

    result = run_cli("inspect", *options, "--cache-from", spec)

    assert result.exit_code == 0, result.stderr
    location = f"s3://{buildkit_s3_bucket.name}/"
    assert result.stderr.splitlines().count(f"reading {location}") == 1
    assert result.stderr.count(location) == 1
