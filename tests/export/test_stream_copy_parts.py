"""Big blobs copied between two endpoints: ranged reads and parts in parallel,
the whole blob verified before the upload completes, memory kept to a few
parts. The source is read through the fault proxy and the destination written
directly, so the two have different endpoint URLs."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import IntegrityError
from s3cache_cli.s3 import upload
from s3cache_cli.s3.retry import DEFAULT_ATTEMPTS
from s3cache_cli.s3.stream_copy import stream_copy
from s3cache_cli.s3.transfer import CancelToken
from tests.export.cachebuilder import digest_of, write_local_cache
from tests.export.conftest import RecordingListener, pending_uploads
from tests.faults.proxy import Fault, Rule


@pytest.fixture
def source_cache(run_cli, bucket, tmp_path):
    """``source_cache(blobs)``: a cache ``app`` under ``src/``; its flag."""

    def make(blobs: list[bytes]) -> str:
        local = write_local_cache(tmp_path / "local", blobs)
        spec = bucket.spec(name="app", prefix="src/")
        assert run_cli("export", str(local), "--cache-to", spec).exit_code == 0
        return spec

    return make


def copy_across(run_cli, bucket, fault_proxy, source: str):
    """Export ``source`` read through the proxy into ``dst/`` written directly."""
    proxied = source.replace(bucket.server.endpoint_url, fault_proxy.endpoint_url)
    dest = bucket.spec(name="app", prefix="dst/")
    return run_cli("export", "--cache-from", proxied, "--cache-to", dest, "--json")


def blob_gets(fault_proxy, data: bytes) -> int:
    path = f"/src/blobs/{digest_of(data)}"
    return sum(
        1
        for exchange in fault_proxy.requests
        if exchange.method == "GET" and exchange.path.endswith(path)
    )


def test_a_big_blob_is_copied_as_ranged_reads_and_parallel_parts(
    run_cli, bucket, fault_proxy, source_cache, small_parts, s3_calls
) -> None:
    blob = os.urandom(3 * small_parts + 777)
    source = source_cache([blob])
    s3_calls.calls.clear()

    result = copy_across(run_cli, bucket, fault_proxy, source)

    assert result.exit_code == 0, result.output
    assert result.json["transfer"] == "stream copy"
    assert bucket.get(f"dst/blobs/{digest_of(blob)}") == blob
    assert blob_gets(fault_proxy, blob) == 4
    assert s3_calls.count("UploadPart", key_prefix="dst/blobs/") == 4
    assert s3_calls.count("CopyObject") == 0
    assert pending_uploads(bucket) == []


def test_a_broken_part_read_is_read_again_alone(
    run_cli, bucket, fault_proxy, source_cache, small_parts
) -> None:
    blob = os.urandom(3 * small_parts)
    source = source_cache([blob])
    fault_proxy.add_rule(
        Rule(Fault.CUT_BODY, method="GET", path=digest_of(blob), nth=2)
    )

    result = copy_across(run_cli, bucket, fault_proxy, source)

    assert result.exit_code == 0, result.output
    assert [hit.fault for hit in fault_proxy.hits] == [Fault.CUT_BODY]
    assert bucket.get(f"dst/blobs/{digest_of(blob)}") == blob
    assert blob_gets(fault_proxy, blob) == 3 + 1  # not the whole blob again
    assert result.json["bytes_sent"] == len(blob)


def test_a_big_blob_damaged_at_the_source_is_tried_again_then_aborted_and_named(
    run_cli, bucket, fault_proxy, source_cache, small_parts
) -> None:
    blob = os.urandom(2 * small_parts + 10)
    source = source_cache([blob])
    key = f"src/blobs/{digest_of(blob)}"
    bucket.put(key, blob[:-1] + bytes([blob[-1] ^ 1]))

    result = copy_across(run_cli, bucket, fault_proxy, source)

    assert result.exit_code == 1
    assert f"s3://{bucket.name}/{key} does not match {digest_of(blob)}" in (
        result.stderr
    )
    assert bucket.keys("dst/") == []
    assert pending_uploads(bucket) == []
    # A mismatch cannot be pinned on a part: each attempt reads the whole blob.
    assert blob_gets(fault_proxy, blob) == 3 * DEFAULT_ATTEMPTS


def test_a_source_of_another_size_stops_before_any_part_is_sent(
    run_cli, bucket, fault_proxy, source_cache, small_parts, s3_calls
) -> None:
    blob = os.urandom(2 * small_parts)
    source = source_cache([blob])
    key = f"src/blobs/{digest_of(blob)}"
    # Same size as planned when the export checks it, then replaced.
    s3_calls.on(
        "before-send.s3.CreateMultipartUpload",
        lambda **_: bucket.put(key, blob + b"more"),
    )

    result = copy_across(run_cli, bucket, fault_proxy, source)

    assert result.exit_code == 1
    assert "but the manifest gives" in result.stderr
    assert bucket.keys("dst/") == []
    assert pending_uploads(bucket) == []


class SlowFirstPart:
    """A before-send hook holding back the first part's GET, so the others
    finish first; it records the order UploadParts are sent in."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.uploaded: list[int] = []
        self._lock = threading.Lock()

    def get(self, request, **_: object) -> None:
        if request.headers.get("Range", b"").startswith(b"bytes=0-"):
            time.sleep(self.seconds)

    def upload_part(self, request, **_: object) -> None:
        number = int(request.url.split("partNumber=")[1].split("&")[0])
        with self._lock:
            self.uploaded.append(number)


def traced_peak(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_a_few_parts_while_a_slow_part_holds_up_the_hash(
    bucket, connection, fault_proxy, small_parts, monkeypatch
) -> None:
    monkeypatch.setattr(upload, "PART_PARALLELISM", 2)
    blob = os.urandom(12 * small_parts)
    bucket.put("src/blob", blob)
    source = connection(endpoint_url=fault_proxy.endpoint_url)
    dest = connection()
    slow = SlowFirstPart(seconds=2.0)
    source.client.meta.events.register("before-send.s3.GetObject", slow.get)
    dest.client.meta.events.register("before-send.s3.UploadPart", slow.upload_part)
    listener = RecordingListener()

    def copy() -> None:
        stream_copy(
            source,
            "src/blob",
            dest,
            "dst/blob",
            digest=parse_digest(digest_of(blob)),
            size=len(blob),
            listener=listener,
            cancel=CancelToken(),
        )

    peak = traced_peak(copy)

    assert bucket.get("dst/blob") == blob
    assert listener.total == len(blob)
    # Parts went up while the first was still being read: in parallel.
    assert slow.uploaded[0] != 1
    # Two parts being sent and two read ahead of the hash, at most: a third of
    # the blob, however long the first part keeps the others waiting.
    assert peak < 5 * small_parts
    assert peak < len(blob) // 2


def test_a_mismatch_raises_naming_the_blob_and_leaves_no_upload(
    bucket, connection, small_parts, s3_calls
) -> None:
    blob = os.urandom(2 * small_parts)
    bucket.put("src/blob", blob)
    claimed = parse_digest(digest_of(blob + b"!"))
    other = connection(endpoint_url=bucket.server.endpoint_url + "/")

    with pytest.raises(IntegrityError, match=r"s3://.*/src/blob does not match"):
        stream_copy(
            connection(),
            "src/blob",
            other,
            "dst/blob",
            digest=claimed,
            size=len(blob),
            listener=RecordingListener(),
            cancel=CancelToken(),
        )

    assert bucket.keys("dst/") == []
    assert pending_uploads(bucket) == []
    assert s3_calls.operations()[-1] == "AbortMultipartUpload"
    assert "CompleteMultipartUpload" not in s3_calls.operations()
