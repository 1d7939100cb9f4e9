"""Export through a proxy that breaks requests the way networks and S3 do."""

from __future__ import annotations

import os

from tests.export.cachebuilder import digest_of, write_local_cache
from tests.export.conftest import pending_uploads
from tests.faults.proxy import Fault, Rule


def export_through(run_cli, proxy, bucket, source, **attributes: str):
    spec = bucket.spec(name="app", endpoint_url=proxy.endpoint_url, **attributes)
    return run_cli("export", str(source), "--cache-to", spec, "--json")


def test_a_part_reset_twice_is_sent_again_and_the_export_completes(
    run_cli, bucket, tmp_path, fault_proxy, small_parts
) -> None:
    blob = os.urandom(small_parts * 3)
    source = write_local_cache(tmp_path / "cache", [blob])
    fault_proxy.add_rule(
        Rule(
            Fault.RESET_BEFORE_RESPONSE,
            method="PUT",
            query="partNumber=2",
            nth=1,
            max_hits=2,
        )
    )

    # One attempt per request in botocore: the part retries are s3cache's own.
    result = export_through(
        run_cli, fault_proxy, bucket, source, retry_max_attempts="1"
    )

    assert result.exit_code == 0, result.output
    assert [hit.fault for hit in fault_proxy.hits] == [Fault.RESET_BEFORE_RESPONSE] * 2
    assert bucket.get(f"blobs/{digest_of(blob)}") == blob
    assert result.json["bytes_sent"] == len(blob)
    assert pending_uploads(bucket) == []


def test_throttling_on_every_blob_is_ridden_out(
    run_cli, bucket, tmp_path, fault_proxy
) -> None:
    blobs = [os.urandom(20_000) for _ in range(5)]
    source = write_local_cache(tmp_path / "cache", blobs)
    fault_proxy.add_rule(
        Rule(Fault.SLOW_DOWN, method="PUT", path="/blobs/", probability=0.5)
    )

    result = export_through(run_cli, fault_proxy, bucket, source)

    assert result.exit_code == 0, result.output
    for data in blobs:
        assert bucket.get(f"blobs/{digest_of(data)}") == data
    assert bucket.keys("manifests/") == ["manifests/app"]


def test_a_server_that_keeps_failing_leaves_no_manifest_and_no_parts(
    run_cli, bucket, tmp_path, fault_proxy, small_parts
) -> None:
    source = write_local_cache(tmp_path / "cache", [os.urandom(small_parts * 2)])
    fault_proxy.add_rule(Rule(Fault.INTERNAL_ERROR, method="PUT", query="partNumber=2"))

    result = export_through(
        run_cli, fault_proxy, bucket, source, retry_max_attempts="1"
    )

    assert result.exit_code == 1
    assert "InternalError" in result.stderr
    assert bucket.keys() == []
    assert pending_uploads(bucket) == []
