"""A fault-injecting proxy between the client and the session S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.seaweed import ACCESS_KEY, REGION, SECRET_KEY, SeaweedServer
from tests.faults.proxy import FaultProxy


@pytest.fixture
def fault_proxy(s3_server: SeaweedServer) -> Iterator[FaultProxy]:
    """A proxy with no rules yet; aim a client at its ``endpoint_url``."""
    with FaultProxy(upstream=s3_server.endpoint_url, seed=1) as proxy:
        yield proxy


@pytest.fixture
def proxy_client(fault_proxy: FaultProxy):
    """Make a boto3 S3 client set up as s3cache sets one up, aimed at the proxy.

    ``attempts`` counts every try, the first one included.
    """

    def make(
        *,
        attempts: int = 1,
        read_timeout: float = 5.0,
        secret_key: str = SECRET_KEY,
        endpoint_url: str | None = None,
    ):
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # botocore's "max_attempts" would count the retries only.
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=2,
            read_timeout=read_timeout,
        )
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or fault_proxy.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret_key,
            config=config,
        )

    return make
