"""Streaming uploads against the real server: single PUT, multipart, faults."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from s3cache_cli.digest import DigestVerifier, parse_digest
from s3cache_cli.errors import CredentialsError, IntegrityError, OperationFailed
from s3cache_cli.s3.parts import (
    MAX_PART_SIZE,
    MAX_PARTS,
    GiB,
    MiB,
    Part,
    part_size_for,
    split_parts,
)
from s3cache_cli.s3.range_reader import PROGRESS_STEP, READ_LIMIT, RangeReader
from s3cache_cli.s3.transfer import Cancelled, CancelToken, NullListener
from s3cache_cli.s3.upload import upload_file
from s3cache_cli.s3.verified_upload import upload_verified_stream
from tests.export.conftest import RecordingListener, pending_uploads

TiB = 1024 * GiB


def blob_file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / f"blob-{size}"
    path.write_bytes(os.urandom(size))
    return path


def sha256_of(data: bytes):
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    ("size", "part_size"),
    [
        pytest.param(0, 8 * MiB, id="empty"),
        pytest.param(16 * MiB, 8 * MiB, id="threshold"),
        pytest.param(78 * GiB, 8 * MiB, id="largest-with-8MiB-parts"),
        pytest.param(79 * GiB, 9 * MiB, id="just-over"),
        pytest.param(5 * TiB, 525 * MiB, id="largest-object"),
    ],
)
def test_part_size_fits_the_blob_in_ten_thousand_parts(
    size: int, part_size: int
) -> None:
    assert part_size_for(size) == part_size
    assert len(split_parts(size, part_size)) <= MAX_PARTS
    assert part_size <= MAX_PART_SIZE


def test_parts_cover_the_blob_without_gaps() -> None:
    parts = split_parts(20 * MiB + 3, 8 * MiB)

    assert parts == [
        Part(1, 0, 8 * MiB),
        Part(2, 8 * MiB, 8 * MiB),
        Part(3, 16 * MiB, 4 * MiB + 3),
    ]


def reader_over(data: bytes, listener, cancel=None) -> RangeReader:
    view = memoryview(data)
    return RangeReader(
        lambda offset, size: bytes(view[offset : offset + size]),
        0,
        len(data),
        listener=listener,
        cancel=cancel or CancelToken(),
    )


def test_a_reader_reports_what_was_read_and_takes_it_back_on_seek() -> None:
    listener = RecordingListener()
    reader = reader_over(b"x" * (3 * MiB), listener)

    while reader.read(1 * MiB):
        pass
    assert listener.total == 3 * MiB

    reader.seek(0)
    assert listener.total == 0
    assert len(reader) == 3 * MiB


def test_a_reader_reports_in_steps_not_per_read() -> None:
    listener = RecordingListener()
    reader = reader_over(b"x" * MiB, listener)

    while reader.read(16 * 1024):
        pass

    assert listener.total == MiB
    assert len(listener.steps) == MiB // PROGRESS_STEP


def test_a_reader_returns_short_reads_but_all_on_read_all() -> None:
    reader = reader_over(b"y" * (2 * MiB), NullListener())

    assert len(reader.read(MiB)) == READ_LIMIT
    assert len(reader.read()) == 2 * MiB - READ_LIMIT
    assert reader.read(10) == b""


def test_a_reader_reads_its_own_range_of_a_file(tmp_path: Path) -> None:
    data = os.urandom(1000)
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = RangeReader(
            lambda offset, size: os.pread(fd, size, offset),
            100,
            50,
            listener=NullListener(),
            cancel=CancelToken(),
        )
        assert reader.read() == data[100:150]
        reader.seek(-10, os.SEEK_END)
        assert reader.tell() == 40
        assert reader.read() == data[140:150]
    finally:
        os.close(fd)


def test_a_cancelled_reader_stops_the_request() -> None:
    cancel = CancelToken()
    reader = reader_over(b"z" * 100, NullListener(), cancel)
    cancel.cancel()

    with pytest.raises(Cancelled):
        reader.read(10)


def test_a_small_blob_is_one_put(tmp_path, bucket, connection, s3_calls) -> None:
    path = blob_file(tmp_path, 300_000)
    listener = RecordingListener()

    upload_file(
        connection(), "blobs/a", path, 300_000, listener=listener, cancel=CancelToken()
    )

    assert bucket.get("blobs/a") == path.read_bytes()
    assert s3_calls.operations() == ["PutObject"]
    assert listener.total == 300_000


def test_a_big_blob_goes_up_in_parallel_parts(
    tmp_path, bucket, connection, s3_calls, small_parts
) -> None:
    size = 2 * small_parts + 12345
    path = blob_file(tmp_path, size)
    listener = RecordingListener()

    upload_file(
        connection(), "blobs/big", path, size, listener=listener, cancel=CancelToken()
    )

    assert bucket.get("blobs/big") == path.read_bytes()
    assert s3_calls.operations() == [
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPart",
        "UploadPart",
        "CompleteMultipartUpload",
    ]
    head = bucket.client.head_object(Bucket=bucket.name, Key="blobs/big")
    assert head["ETag"].endswith('-3"')
    assert head["ContentType"] == "application/octet-stream"
    assert listener.total == size


def fail_part(number: int, times: int, error_factory, *, read_first: int = 0):
    """A before-send hook: part ``number`` fails ``times`` times, after having
    sent ``read_first`` bytes of its body."""
    failures: list[int] = []

    def hook(request, **_: object) -> None:
        if f"partNumber={number}&" not in request.url + "&":
            return
        if len(failures) < times:
            failures.append(number)
            if read_first:
                request.body.read(read_first)
            raise error_factory(request.url)

    hook.failures = failures  # type: ignore[attr-defined]
    return hook


def connection_closed(url: str) -> Exception:
    return ConnectionClosedError(endpoint_url=url)


def access_denied(url: str) -> Exception:
    response = {
        "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    return ClientError(response, "UploadPart")


def test_a_part_that_fails_twice_then_succeeds_completes_the_upload(
    tmp_path, bucket, connection, s3_calls, small_parts
) -> None:
    size = 3 * small_parts
    path = blob_file(tmp_path, size)
    listener = RecordingListener()
    # Every attempt is ours to retry: botocore gives up after one.
    conn = connection(retry_max_attempts="1")
    hook = fail_part(2, times=2, error_factory=connection_closed, read_first=MiB)
    conn.client.meta.events.register("before-send.s3.UploadPart", hook)

    upload_file(conn, "blobs/x", path, size, listener=listener, cancel=CancelToken())

    assert hook.failures == [2, 2]
    assert bucket.get("blobs/x") == path.read_bytes()
    assert listener.total == size  # the failed attempts were taken back
    assert any(step < 0 for step in listener.steps)
    assert pending_uploads(bucket) == []


def test_a_fatal_part_error_aborts_the_upload(
    tmp_path, bucket, connection, small_parts
) -> None:
    size = 3 * small_parts
    path = blob_file(tmp_path, size)
    conn = connection(retry_max_attempts="1")
    hook = fail_part(3, times=1, error_factory=access_denied)
    conn.client.meta.events.register("before-send.s3.UploadPart", hook)

    with pytest.raises(CredentialsError, match=r"access denied to s3://.*blobs/x"):
        upload_file(
            conn, "blobs/x", path, size, listener=NullListener(), cancel=CancelToken()
        )

    assert pending_uploads(bucket) == []
    assert bucket.keys() == []


def test_a_cancel_during_a_multipart_upload_aborts_it(
    tmp_path, bucket, connection, small_parts
) -> None:
    size = 4 * small_parts
    path = blob_file(tmp_path, size)
    cancel = CancelToken()
    conn = connection()

    def cancel_on_first_part(**_: object) -> None:
        cancel.cancel()

    conn.client.meta.events.register("before-send.s3.UploadPart", cancel_on_first_part)

    with pytest.raises(Cancelled):
        upload_file(conn, "blobs/c", path, size, listener=NullListener(), cancel=cancel)

    assert pending_uploads(bucket) == []
    assert bucket.keys() == []


def test_a_file_that_shrinks_while_it_is_sent_fails(
    tmp_path, bucket, connection
) -> None:
    path = blob_file(tmp_path, 1000)

    with pytest.raises(OperationFailed, match="became shorter"):
        upload_file(
            connection(),
            "blobs/s",
            path,
            2000,
            listener=NullListener(),
            cancel=CancelToken(),
        )

    assert bucket.keys() == []


def stream_of(data: bytes):
    view = memoryview(data)
    position = [0]

    def read(n: int) -> bytes:
        chunk = bytes(view[position[0] : position[0] + n])
        position[0] += len(chunk)
        return chunk

    return read


def test_a_verified_stream_is_published_when_it_matches(bucket, connection) -> None:
    data = os.urandom(4000)

    upload_verified_stream(
        connection(),
        "blobs/v",
        stream_of(data),
        len(data),
        verifier=DigestVerifier(sha256_of(data), len(data)),
        what="the test stream",
        listener=NullListener(),
        cancel=CancelToken(),
    )

    assert bucket.get("blobs/v") == data


def test_a_big_verified_stream_goes_up_in_parts(
    bucket, connection, small_parts, s3_calls
) -> None:
    data = os.urandom(small_parts * 2 + 10)

    upload_verified_stream(
        connection(),
        "blobs/big",
        stream_of(data),
        len(data),
        verifier=DigestVerifier(sha256_of(data), len(data)),
        what="the test stream",
        listener=NullListener(),
        cancel=CancelToken(),
    )

    assert bucket.get("blobs/big") == data
    assert s3_calls.count("UploadPart") == 3


@pytest.mark.parametrize(
    "size_factor",
    [pytest.param(0, id="small"), pytest.param(2, id="multipart")],
)
def test_a_stream_that_does_not_match_publishes_nothing(
    bucket, connection, small_parts, size_factor: int
) -> None:
    data = os.urandom(small_parts * size_factor + 1000)
    claimed = sha256_of(data + b"!")

    with pytest.raises(IntegrityError, match="the test stream does not match"):
        upload_verified_stream(
            connection(),
            "blobs/bad",
            stream_of(data),
            len(data),
            verifier=DigestVerifier(claimed, len(data)),
            what="the test stream",
            listener=NullListener(),
            cancel=CancelToken(),
        )

    assert bucket.keys() == []
    assert pending_uploads(bucket) == []


def test_a_stream_that_ends_early_publishes_nothing(
    bucket, connection, small_parts
) -> None:
    data = os.urandom(small_parts + 100)

    with pytest.raises(OperationFailed, match="ended 100 bytes early"):
        upload_verified_stream(
            connection(),
            "blobs/short",
            stream_of(data[:-100]),
            len(data),
            verifier=DigestVerifier(sha256_of(data), len(data)),
            what="the test stream",
            listener=NullListener(),
            cancel=CancelToken(),
        )

    assert bucket.keys() == []
    assert pending_uploads(bucket) == []
