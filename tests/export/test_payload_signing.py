"""Blob bodies go as UNSIGNED-PAYLOAD; manifests stay signed.

The test server checks every signature, so each of these exports also shows
that it accepts both forms over plain http.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from s3cache_cli.s3.transfer import CancelToken
from s3cache_cli.s3.upload import upload_file
from tests.export.conftest import RecordingListener
from tests.export.test_export_fixture import S3_FIXTURE, export

UNSIGNED = "UNSIGNED-PAYLOAD"


def record_payload_hashes(s3_calls) -> list[tuple[str, str]]:
    """(path, X-Amz-Content-SHA256) of every request that sends a body."""
    seen: list[tuple[str, str]] = []

    def note(request, **_: object) -> None:
        if request.method == "PUT":
            path = request.url.split("?")[0]
            seen.append((path, request.headers["X-Amz-Content-SHA256"]))

    s3_calls.on("before-send.s3", note)
    return seen


def decoded(header: str | bytes) -> str:
    return header.decode() if isinstance(header, bytes) else header


def test_blob_puts_are_unsigned_and_the_manifest_is_signed(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    seen = record_payload_hashes(s3_calls)

    export(run_cli, local_fixture("run-max"), bucket.spec(name="app"))

    blobs = [decoded(value) for path, value in seen if "/blobs/" in path]
    manifests = [decoded(value) for path, value in seen if "/manifests/" in path]
    assert blobs == [UNSIGNED] * 6
    manifest = (S3_FIXTURE / "manifests" / "app").read_bytes()
    assert manifests == [hashlib.sha256(manifest).hexdigest()]
    assert bucket.get("manifests/app") == manifest


def test_parts_of_a_multipart_upload_are_unsigned(
    tmp_path: Path, bucket, connection, s3_calls, small_parts
) -> None:
    seen = record_payload_hashes(s3_calls)
    path = tmp_path / "blob"
    data = bytes(range(256)) * (small_parts // 128)
    path.write_bytes(data)

    upload_file(
        connection(),
        "blobs/x",
        path,
        len(data),
        listener=RecordingListener(),
        cancel=CancelToken(),
    )

    assert [decoded(value) for _, value in seen] == [UNSIGNED, UNSIGNED]
    assert bucket.get("blobs/x") == data
