"""When export fails: one message, the right exit code, and no manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from tests.export.cachebuilder import blob_path, digest_of, write_local_cache
from tests.export.conftest import pending_uploads

MiB = 1024 * 1024
RUN_MAX_LAYER = "d783e84b8a9f5205a67b32c81aff543e2f40884777923a1ef0813be3511ef427"


def export(run_cli, source: Path, spec: str, *extra: str):
    return run_cli("export", str(source), "--cache-to", spec, *extra)


def damage(path: Path) -> None:
    """Same size, different bytes."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupt_local_blob_publishes_nothing(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")
    damage(source / "blobs" / "sha256" / RUN_MAX_LAYER)

    result = export(run_cli, source, bucket.spec(name="app"))

    assert result.exit_code == 1
    assert f"does not match sha256:{RUN_MAX_LAYER}" in result.stderr
    assert bucket.keys() == []


def test_a_truncated_local_blob_is_named_by_digest(
    run_cli, bucket, local_fixture
) -> None:
    source = local_fixture("run-max")
    path = source / "blobs" / "sha256" / RUN_MAX_LAYER
    path.write_bytes(path.read_bytes()[:1000])

    result = export(run_cli, source, bucket.spec(name="app"))

    assert result.exit_code == 1
    assert f"blob sha256:{RUN_MAX_LAYER} in {source} has 1000 bytes" in result.stderr
    assert bucket.keys() == []


def test_a_missing_local_blob_publishes_nothing(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")
    (source / "blobs" / "sha256" / RUN_MAX_LAYER).unlink()

    result = export(run_cli, source, bucket.spec(name="app"))

    assert result.exit_code == 1
    assert f"error: blob sha256:{RUN_MAX_LAYER} is missing from {source}" in (
        result.stderr
    )
    assert "hint: the cache directory is incomplete" in result.stderr
    assert bucket.keys() == []


def test_a_blob_already_in_the_bucket_is_not_read_again(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    # Only blobs that will be sent are hashed; one already stored needs only
    # its size, so local damage to it cannot reach S3 and does not matter.
    source = local_fixture("run-max")
    assert export(run_cli, source, bucket.spec(name="app")).exit_code == 0
    damage(source / "blobs" / "sha256" / RUN_MAX_LAYER)

    result = export(run_cli, source, bucket.spec(name="app"), "--json")

    assert result.exit_code == 0, result.output
    assert result.json["blobs"]["present"] == 6


def test_a_missing_bucket_fails_and_is_not_created(
    run_cli, bucket, local_fixture
) -> None:
    result = export(
        run_cli, local_fixture("run-max"), bucket.spec(bucket="no-such-bucket")
    )

    assert result.exit_code == 1
    assert "error: bucket 'no-such-bucket' does not exist" in result.stderr
    names = [b["Name"] for b in bucket.client.list_buckets()["Buckets"]]
    assert "no-such-bucket" not in names


def test_wrong_credentials_exit_4_without_showing_the_secret(
    run_cli, bucket, local_fixture
) -> None:
    spec = bucket.spec(
        access_key_id="AKIDS3CACHETEST", secret_access_key="not-the-secret-4711"
    )

    result = export(run_cli, local_fixture("run-max"), spec)

    assert result.exit_code == 4
    assert "secret access key does not match" in result.stderr
    assert "not-the-secret-4711" not in result.output
    assert bucket.keys() == []


def test_ignore_error_turns_a_failure_into_a_warning(
    run_cli, bucket, local_fixture
) -> None:
    spec = bucket.spec(bucket="no-such-bucket", **{"ignore-error": "true"})

    result = export(run_cli, local_fixture("run-max"), spec)

    assert result.exit_code == 0
    assert "warning: bucket 'no-such-bucket' does not exist" in result.stderr
    assert "(ignored: ignore-error=true)" in result.stderr


def test_ignore_error_on_the_source_covers_a_missing_cache(
    run_cli, bucket, tmp_path
) -> None:
    result = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={tmp_path / 'none'},ignore-error=true",
        "--cache-to",
        bucket.spec(),
    )

    assert result.exit_code == 0
    assert "warning:" in result.stderr


def test_ignore_error_never_hides_a_usage_error(run_cli, bucket, local_fixture) -> None:
    spec = bucket.spec(upload_parallelism="0", **{"ignore-error": "true"})

    result = export(run_cli, local_fixture("run-max"), spec)

    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("cache_to", "message"),
    [
        pytest.param("type=local,dest=/tmp/x", "type=local", id="local-destination"),
        pytest.param(
            "type=s3,bucket=b,region=r,colour=blue", "colour", id="unknown-key"
        ),
        pytest.param("type=registry,ref=x", "registry", id="registry"),
    ],
)
def test_a_bad_cache_to_is_a_usage_error(
    run_cli, local_fixture, cache_to: str, message: str
) -> None:
    result = export(run_cli, local_fixture("run-max"), cache_to)

    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_cache_directory_is_not_found(run_cli, bucket, tmp_path) -> None:
    result = export(run_cli, tmp_path / "nowhere", bucket.spec())

    assert result.exit_code == 3
    assert f"error: {tmp_path / 'nowhere'} does not exist\n" in result.stderr


def test_an_unknown_tag_is_not_found(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")

    result = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={source},tag=main",
        "--cache-to",
        bucket.spec(),
    )

    assert result.exit_code == 3
    assert "has no tag 'main'" in result.stderr
    assert "hint: tags in index.json: latest" in result.stderr


def invalid_request(url: str) -> Exception:
    response = {
        "Error": {"Code": "InvalidRequest", "Message": "refused for the test"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return ClientError(response, "PutObject")


def test_a_failed_blob_upload_writes_no_manifest(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    def refuse_one_blob(request, **_: object) -> None:
        if RUN_MAX_LAYER in request.url:
            raise invalid_request(request.url)

    s3_calls.on("before-send.s3.PutObject", refuse_one_blob)

    result = export(run_cli, local_fixture("run-max"), bucket.spec(name="app"))

    assert result.exit_code == 1
    assert f"blobs/sha256:{RUN_MAX_LAYER}" in result.stderr
    assert "InvalidRequest: refused for the test" in result.stderr
    assert bucket.keys("manifests/") == []
    assert result.stderr.count("error:") == 1


def test_a_part_that_fails_twice_still_gives_a_complete_export(
    run_cli, bucket, tmp_path, s3_calls, small_parts
) -> None:
    blobs = [os.urandom(small_parts * 2 + 7), os.urandom(300)]
    source = write_local_cache(tmp_path / "cache", blobs)
    failures = []

    def fail_part_two_twice(request, **_: object) -> None:
        if "partNumber=2" in request.url and len(failures) < 2:
            failures.append(request.url)
            raise ConnectionClosedError(endpoint_url=request.url)

    s3_calls.on("before-send.s3.UploadPart", fail_part_two_twice)

    result = export(run_cli, source, bucket.spec(name="app", retry_max_attempts="1"))

    assert result.exit_code == 0, result.output
    assert len(failures) == 2
    for data in blobs:
        assert bucket.get(f"blobs/{digest_of(data)}") == data
    assert bucket.keys("manifests/") == ["manifests/app"]


def test_ctrl_c_aborts_multipart_uploads_and_writes_no_manifest(
    run_cli, bucket, tmp_path, s3_calls, small_parts
) -> None:
    source = write_local_cache(tmp_path / "cache", [os.urandom(small_parts * 4)])
    parts_seen = []

    def interrupt_on_second_part(**_: object) -> None:
        parts_seen.append(1)
        if len(parts_seen) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, to this process
        time.sleep(0.2)

    s3_calls.on("before-send.s3.UploadPart", interrupt_on_second_part)

    result = export(run_cli, source, bucket.spec(name="app"))

    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in result.stderr
    assert s3_calls.count("AbortMultipartUpload") == 1
    assert pending_uploads(bucket) == []
    assert bucket.keys() == []


def run_in_background(source: Path, spec: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "s3cache_cli",
            "export",
            str(source),
            "--cache-to",
            spec,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_sigint_exits_130_with_one_line_and_aborts_the_upload(bucket, tmp_path) -> None:
    source = write_local_cache(tmp_path / "cache", [os.urandom(160 * MiB)])
    process = run_in_background(source, bucket.spec(name="app"))

    wait_until(lambda: pending_uploads(bucket) or process.poll() is not None)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in stderr
    assert pending_uploads(bucket) == []
    assert bucket.keys() == []


def test_after_kill_9_a_rerun_completes_without_sending_blobs_again(
    run_cli, bucket, tmp_path, s3_calls
) -> None:
    blobs = [os.urandom(256 * 1024) for _ in range(40)]
    source = write_local_cache(tmp_path / "cache", blobs)
    spec = bucket.spec(name="app", upload_parallelism="1")
    process = run_in_background(source, spec)

    wait_until(lambda: len(bucket.keys("blobs/")) >= 3 or process.poll() is not None)
    process.kill()
    process.communicate(timeout=30)
    stored = set(bucket.keys("blobs/"))

    assert bucket.keys("manifests/") == [] or len(stored) == len(blobs)
    result = export(run_cli, source, spec, "--json")
    assert result.exit_code == 0, result.output
    assert result.json["blobs"]["upload"] == len(blobs) - len(stored)
    assert s3_calls.count("PutObject", key_prefix="blobs/") == len(blobs) - len(stored)
    for data in blobs:
        assert blob_path(source, data).exists()
        assert bucket.get(f"blobs/{digest_of(data)}") == data
