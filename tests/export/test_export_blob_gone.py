"""A blob that a prune deletes between the export's HEAD and its touch is sent
again from the source, and the export succeeds with every blob in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.transfer import CancelToken
from tests.export.cachebuilder import digest_of, write_local_cache
from tests.faults.proxy import Fault, Rule

BLOBS = [b"base layer " * 300, b"middle layer " * 200, b"top layer " * 100]
STALE = "0s"  # every blob found is older than this, so every one is touched


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_local_cache(tmp_path / "cache", BLOBS)


def blob_key(data: bytes) -> str:
    return f"blobs/{digest_of(data)}"


def export(run_cli, source: Path, spec: str):
    return run_cli("export", str(source), "--cache-to", spec, "--json")


class DeleteBeforeFirst:
    """A botocore hook that deletes ``key`` just before the first request of
    one kind about it is sent, as a prune running alongside would."""

    def __init__(self, bucket, key: str) -> None:
        self.bucket = bucket
        self.key = key
        self.deleted = False

    def __call__(self, params: dict, **_: object) -> None:
        if params.get("Key") == self.key and not self.deleted:
            self.deleted = True
            self.bucket.delete(self.key)


def test_a_blob_deleted_before_its_touch_is_uploaded_again(
    run_cli, bucket, source: Path, s3_calls
) -> None:
    first = export(run_cli, source, bucket.spec(name="old"))
    assert first.exit_code == 0, first.output
    victim = blob_key(BLOBS[1])
    hook = DeleteBeforeFirst(bucket, victim)
    s3_calls.calls.clear()
    s3_calls.on("before-parameter-build.s3.CopyObject", hook)

    result = export(run_cli, source, bucket.spec(name="new", touch_refresh=STALE))

    assert result.exit_code == 0, result.output
    assert hook.deleted
    assert bucket.get(victim) == BLOBS[1]
    assert all(bucket.get(blob_key(data)) == data for data in BLOBS)
    assert bucket.get("manifests/new") == bucket.get("manifests/old")
    document = result.json
    assert document["blobs"]["touch"] == len(BLOBS)
    assert document["bytes_sent"] == len(BLOBS[1])
    assert s3_calls.count("PutObject", key_prefix=victim) == 1


def test_a_resent_blob_is_hashed_like_any_upload(
    run_cli, bucket, source: Path, s3_calls
) -> None:
    export(run_cli, source, bucket.spec(name="old"))
    damaged = source / "blobs" / "sha256" / digest_of(BLOBS[0]).split(":")[1]
    damaged.write_bytes(b"X" + BLOBS[0][1:])  # same size: only a hash tells
    s3_calls.on(
        "before-parameter-build.s3.CopyObject",
        DeleteBeforeFirst(bucket, blob_key(BLOBS[0])),
    )

    result = export(run_cli, source, bucket.spec(name="new", touch_refresh=STALE))

    assert result.exit_code == 1
    assert f"does not match {digest_of(BLOBS[0])}" in result.stderr
    assert blob_key(BLOBS[0]) not in bucket.keys("blobs/")
    assert bucket.keys("manifests/") == ["manifests/old"]


def test_a_blob_deleted_before_a_multipart_touch_is_uploaded_again(
    run_cli, bucket, tmp_path: Path, s3_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    from s3cache_cli.s3 import copy

    # Copies from 5 MiB are multipart, in 5 MiB parts: a 7 MiB blob has two.
    monkeypatch.setattr(copy, "COPY_LIMIT", 5 * 1024 * 1024)
    monkeypatch.setattr(copy, "COPY_PART_SIZE", 5 * 1024 * 1024)
    big = bytes(range(256)) * (7 * 4096)
    source = write_local_cache(tmp_path / "big", [big])
    export(run_cli, source, bucket.spec(name="old"))
    s3_calls.on(
        "before-parameter-build.s3.UploadPartCopy",
        DeleteBeforeFirst(bucket, blob_key(big)),
    )

    result = export(run_cli, source, bucket.spec(name="new", touch_refresh=STALE))

    assert result.exit_code == 0, result.output
    assert bucket.get(blob_key(big)) == big
    assert result.json["bytes_sent"] == len(big)
    uploads = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    assert uploads.get("Uploads", []) == []


def test_a_blob_deleted_before_its_touch_is_copied_again_from_an_s3_source(
    run_cli, bucket, source: Path, s3_calls
) -> None:
    export(run_cli, source, bucket.spec(name="main", prefix="main/"))
    export(run_cli, source, bucket.spec(name="branch", prefix="branch/"))
    victim = "branch/" + blob_key(BLOBS[2])
    s3_calls.on(
        "before-parameter-build.s3.CopyObject", DeleteBeforeFirst(bucket, victim)
    )

    result = run_cli(
        "export",
        "--cache-from",
        bucket.spec(name="main", prefix="main/"),
        "--cache-to",
        bucket.spec(name="branch", prefix="branch/", touch_refresh=STALE),
        "--json",
    )

    assert result.exit_code == 0, result.output
    assert bucket.get(victim) == BLOBS[2]
    assert json.loads(bucket.get("branch/manifests/branch")) == json.loads(
        bucket.get("main/manifests/main")
    )


def test_a_touch_that_fails_for_another_reason_still_fails(
    run_cli, bucket, source: Path, fault_proxy
) -> None:
    export(run_cli, source, bucket.spec(name="old"))
    fault_proxy.add_rule(Rule(Fault.INTERNAL_ERROR, method="PUT", path="/blobs/"))
    spec = bucket.spec(
        name="new",
        touch_refresh=STALE,
        endpoint_url=fault_proxy.endpoint_url,
        retry_max_attempts="1",
    )

    result = export(run_cli, source, spec)

    assert result.exit_code == 1
    assert "InternalError" in result.stderr
    assert bucket.keys("manifests/") == ["manifests/old"]


def test_touching_a_missing_blob_says_it_is_gone(bucket, connection) -> None:
    from s3cache_cli.s3.copy import BlobGone, touch

    conn = connection(name="x")

    with pytest.raises(BlobGone, match="deleted before it could be touched"):
        touch(conn, blob_key(b"never written"), 13, cancel=CancelToken())


def test_blob_gone_is_an_operation_failure() -> None:
    from s3cache_cli.s3.copy import BlobGone

    assert issubclass(BlobGone, OperationFailed)
