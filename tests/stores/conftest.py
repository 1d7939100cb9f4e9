from __future__ import annotations

import pytest

from s3cache_cli.s3.client import connect
from s3cache_cli.spec import parse_cache_spec
from s3cache_cli.stores.s3 import S3Store


@pytest.fixture
def s3_store(bucket):
    """A store over the test bucket; ``s3_store(prefix=...)`` for a prefix."""

    def make(**attributes: str) -> S3Store:
        spec = parse_cache_spec(bucket.spec(**attributes), direction="from")
        return S3Store(connect(spec))

    return make
