"""S3 timestamps read the same as botocore reads them, only faster."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.utils import parse_timestamp as botocore_parse

from s3cache_cli.s3.timestamps import parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-12-04T17:19:52.000Z", id="listing-iso-8601"),
        pytest.param("2026-12-04T17:19:52Z", id="iso-without-fraction"),
        pytest.param("2026-12-04T17:19:52.123456+02:00", id="iso-with-offset"),
        pytest.param("Fri, 04 Dec 2026 17:19:52 GMT", id="http-date"),
        pytest.param("Fri, 04 Dec 2026 17:19:52 +0100", id="http-date-offset"),
        pytest.param("2026-12-04T17:19:52", id="iso-naive-left-to-botocore"),
        pytest.param("Fri, 04 Dec 2026 17:19:52 -0000", id="http-naive"),
        pytest.param("1764868792", id="epoch-text"),
        pytest.param(1764868792, id="epoch-number"),
        pytest.param(1764868792.5, id="epoch-fraction"),
    ],
)
def test_every_form_reads_as_botocore_reads_it(value: object) -> None:
    ours = parse_timestamp(value)
    theirs = botocore_parse(value)

    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()


def test_a_listing_time_is_aware_and_utc() -> None:
    parsed = parse_timestamp("2026-12-04T17:19:52.000Z")

    assert parsed == datetime(2026, 12, 4, 17, 19, 52, tzinfo=UTC)


def test_nonsense_fails_as_botocore_fails() -> None:
    with pytest.raises(ValueError):
        botocore_parse("not a time")
    with pytest.raises(ValueError):
        parse_timestamp("not a time")


def test_a_client_reads_last_modified_with_it(bucket, monkeypatch) -> None:
    from s3cache_cli.s3 import timestamps
    from s3cache_cli.s3.client import connect
    from s3cache_cli.spec import parse_cache_spec

    seen: list[object] = []
    real = timestamps.parse_timestamp

    def spy(value: object) -> datetime:
        seen.append(value)
        return real(value)

    monkeypatch.setattr(timestamps, "parse_timestamp", spy)
    bucket.put("blobs/x", b"data")
    conn = connect(parse_cache_spec(bucket.spec(), direction="to"))

    listed = conn.client.list_objects_v2(Bucket=bucket.name, Prefix="blobs/")
    headed = conn.client.head_object(Bucket=bucket.name, Key="blobs/x")

    assert listed["Contents"][0]["LastModified"] == headed["LastModified"]
    assert len(seen) == 2
