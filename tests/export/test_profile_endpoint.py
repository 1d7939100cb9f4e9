"""An endpoint_url that only the AWS config names (a profile's, or its
services section's) is the endpoint s3cache reports and compares."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from s3cache_cli.s3.client import connect
from s3cache_cli.spec import parse_cache_spec
from tests.export.test_export_s3_copy import copy
from tests.export.test_export_s3_copy import other_bucket as other_bucket


def without_endpoint(spec: str) -> str:
    """The flag string with its endpoint_url left out."""
    return ",".join(
        part for part in spec.split(",") if not part.startswith("endpoint_url=")
    )


@pytest.fixture
def profile_endpoint(bucket, tmp_path) -> Iterator[Callable[..., None]]:
    """``profile_endpoint(url, services=False)``: AWS_PROFILE names a profile
    with that endpoint_url; undone before ``bucket`` is emptied."""
    config = tmp_path / "aws-config"

    def use(endpoint: str, *, services: bool = False) -> None:
        if services:
            body = "services = local\n\n[services local]\ns3 =\n"
            body += f"  endpoint_url = {endpoint}\n"
        else:
            body = f"endpoint_url = {endpoint}\n"
        config.write_text("[profile ci]\n" + body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_CONFIG_FILE", str(config))
        patch.setenv("AWS_PROFILE", "ci")
        yield use


@pytest.mark.parametrize(
    "services",
    [pytest.param(False, id="profile"), pytest.param(True, id="services-section")],
)
def test_verbose_names_the_endpoint_from_the_profile(
    run_cli, buildkit_s3_bucket, profile_endpoint, services
) -> None:
    server = buildkit_s3_bucket.server
    profile_endpoint(server.endpoint_url, services=services)
    spec = without_endpoint(buildkit_s3_bucket.spec(name="app"))

    result = run_cli("inspect", "-v", "--cache-from", spec)

    assert result.exit_code == 0, result.output
    assert (
        f"endpoint for s3://{buildkit_s3_bucket.name}: {server.endpoint_url}\n"
        in result.stderr
    )


def test_a_copy_to_the_profile_endpoint_stays_on_the_server(
    run_cli,
    buildkit_s3_bucket,
    other_bucket,
    profile_endpoint,
) -> None:
    profile_endpoint(buildkit_s3_bucket.server.endpoint_url, services=False)
    source = without_endpoint(buildkit_s3_bucket.spec(name="app"))

    document = copy(run_cli, source, other_bucket.spec(name="main"))

    assert document["transfer"] == "server-side copy"


def test_the_flag_endpoint_wins_over_the_profile(bucket, profile_endpoint) -> None:
    profile_endpoint("http://127.0.0.1:9/", services=False)

    conn = connect(parse_cache_spec(bucket.spec(), direction="from"))

    assert conn.endpoint_url == bucket.server.endpoint_url
    assert conn.endpoint_description == bucket.server.endpoint_url


def test_without_any_endpoint_it_is_aws_for_the_region(bucket) -> None:
    spec = without_endpoint(bucket.spec(region="eu-west-1"))

    # Only the client is made; no request leaves the machine.
    conn = connect(parse_cache_spec(spec, direction="from"))

    assert conn.endpoint_url == "https://s3.eu-west-1.amazonaws.com"
    assert conn.endpoint_description == (
        "AWS https://s3.eu-west-1.amazonaws.com (region eu-west-1)"
    )
