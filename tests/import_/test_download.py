"""Blob downloads against the real S3 server; broken bodies simulated on top."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from s3cache_cli.digest import Digest
from s3cache_cli.errors import IntegrityError, OperationFailed
from s3cache_cli.s3.client import S3Connection, connect
from s3cache_cli.s3.download import (
    BlobDownload,
    BlobSizeMismatch,
    DownloadSettings,
    download_blobs,
)
from s3cache_cli.s3.transfer import Cancelled, CancelToken
from s3cache_cli.spec import S3Spec

KiB = 1024
MiB = 1024 * KiB
SMALL_PARTS = DownloadSettings(
    parallelism=3,
    part_size=256 * KiB,
    multipart_threshold=512 * KiB,
    chunk_size=64 * KiB,
)


class RecordingListener:
    def __init__(self) -> None:
        self.net_bytes = 0
        self.rolled_back = 0
        self.done: list[tuple[str, int, str]] = []
        self.started_with: dict[str, int] = {}
        self.was_finished = False
        self._lock = threading.Lock()

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self.started_with = {"blobs": blobs, "total_bytes": total_bytes}

    def advanced(self, nbytes: int) -> None:
        with self._lock:
            self.net_bytes += nbytes
            if nbytes < 0:
                self.rolled_back -= nbytes

    def blob_done(self, name: str, size: int, action: str) -> None:
        with self._lock:
            self.done.append((name, size, action))

    def finished(self) -> None:
        self.was_finished = True


class BodyThatBreaks:
    """A response body that raises after ``after`` bytes, like a reset socket."""

    def __init__(self, inner: Any, after: int) -> None:
        self._inner = inner
        self._left = after

    def read(self, amt: int | None = None) -> bytes:
        if self._left <= 0:
            raise botocore.exceptions.ResponseStreamingError(
                error="connection reset by peer"
            )
        data = self._inner.read(min(amt or self._left, self._left))
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._inner.close()


class GetObjectSpy:
    """Records the Range of every GetObject; can break the first N bodies."""

    def __init__(
        self, conn: S3Connection, *, break_after: int | None = None, breaks: int = 0
    ) -> None:
        self.ranges: list[str | None] = []
        self._break_after = break_after
        self._breaks_left = breaks
        self._lock = threading.Lock()
        events = conn.client.meta.events
        events.register("provide-client-params.s3.GetObject", self._record)
        events.register("after-call.s3.GetObject", self._maybe_break)

    def _record(self, params: dict, **_: Any) -> None:
        with self._lock:
            self.ranges.append(params.get("Range"))

    def _maybe_break(self, parsed: dict, **_: Any) -> None:
        with self._lock:
            if self._breaks_left <= 0 or "Body" not in parsed:
                return
            self._breaks_left -= 1
        parsed["Body"] = BodyThatBreaks(parsed["Body"], self._break_after or 0)


@pytest.fixture
def conn(bucket) -> S3Connection:
    spec = S3Spec(
        bucket=bucket.name,
        region=bucket.server.region,
        endpoint_url=bucket.server.endpoint_url,
        use_path_style=True,
    )
    return connect(spec)


def put_blob(bucket, data: bytes) -> tuple[str, Digest]:
    digest = Digest("sha256", hashlib.sha256(data).hexdigest())
    key = f"blobs/{digest}"
    bucket.put(key, data)
    return key, digest


def job(tmp_path: Path, key: str, digest: Digest, size: int) -> BlobDownload:
    return BlobDownload(key, digest, size, tmp_path / digest.hex)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_blobs_land_under_their_final_names(bucket, conn, tmp_path: Path) -> None:
    blobs = [os.urandom(size) for size in (0, 1, 1000, 70 * KiB)]
    jobs = [job(tmp_path, *put_blob(bucket, data), len(data)) for data in blobs]
    listener = RecordingListener()

    download_blobs(conn, jobs, listener=listener)

    for data, download in zip(blobs, jobs, strict=True):
        assert download.destination.read_bytes() == data
        assert download.destination.stat().st_mode & 0o777 == 0o444
    assert listener.started_with == {"blobs": 4, "total_bytes": sum(map(len, blobs))}
    assert listener.net_bytes == sum(map(len, blobs))
    assert len(listener.done) == 4
    assert listener.was_finished
    assert leftovers(tmp_path) == []


def test_a_large_blob_comes_in_ranged_parts(bucket, conn, tmp_path: Path) -> None:
    data = os.urandom(2 * MiB + 123)
    key, digest = put_blob(bucket, data)
    spy = GetObjectSpy(conn)

    download_blobs(
        conn,
        [job(tmp_path, key, digest, len(data))],
        listener=RecordingListener(),
        settings=SMALL_PARTS,
    )

    assert (tmp_path / digest.hex).read_bytes() == data
    expected = [
        f"bytes={start}-{min(start + 256 * KiB, len(data)) - 1}"
        for start in range(0, len(data), 256 * KiB)
    ]
    assert sorted(spy.ranges) == sorted(expected)


def test_a_small_blob_is_one_plain_get(bucket, conn, tmp_path: Path) -> None:
    key, digest = put_blob(bucket, b"layer")
    spy = GetObjectSpy(conn)

    download_blobs(
        conn,
        [job(tmp_path, key, digest, 5)],
        listener=RecordingListener(),
        settings=SMALL_PARTS,
    )

    assert spy.ranges == [None]


def test_a_body_that_breaks_off_is_resumed_where_it_stopped(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(300 * KiB)
    key, digest = put_blob(bucket, data)
    spy = GetObjectSpy(conn, break_after=100 * KiB, breaks=1)
    listener = RecordingListener()

    download_blobs(
        conn,
        [job(tmp_path, key, digest, len(data))],
        listener=listener,
        settings=DownloadSettings(chunk_size=32 * KiB),
    )

    assert (tmp_path / digest.hex).read_bytes() == data
    assert spy.ranges == [None, f"bytes={100 * KiB}-{len(data) - 1}"]
    assert listener.net_bytes == len(data)
    assert listener.rolled_back == 0


def test_a_part_that_breaks_off_is_resumed_within_its_range(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(MiB)
    key, digest = put_blob(bucket, data)
    settings = DownloadSettings(
        parallelism=1,
        part_size=256 * KiB,
        multipart_threshold=512 * KiB,
        chunk_size=16 * KiB,
    )
    spy = GetObjectSpy(conn, break_after=50 * KiB, breaks=1)

    download_blobs(
        conn,
        [job(tmp_path, key, digest, len(data))],
        listener=RecordingListener(),
        settings=settings,
    )

    assert (tmp_path / digest.hex).read_bytes() == data
    assert spy.ranges[:2] == [
        f"bytes=0-{256 * KiB - 1}",
        f"bytes={50 * KiB}-{256 * KiB - 1}",
    ]


def test_when_resuming_keeps_failing_the_part_restarts_with_progress_rolled_back(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(200 * KiB)
    key, digest = put_blob(bucket, data)
    settings = DownloadSettings(chunk_size=16 * KiB, max_resumes=1)
    spy = GetObjectSpy(conn, break_after=40 * KiB, breaks=2)
    listener = RecordingListener()

    download_blobs(
        conn,
        [job(tmp_path, key, digest, len(data))],
        listener=listener,
        settings=settings,
    )

    assert (tmp_path / digest.hex).read_bytes() == data
    assert spy.ranges == [None, f"bytes={40 * KiB}-{len(data) - 1}", None]
    assert listener.rolled_back == 80 * KiB
    assert listener.net_bytes == len(data)


def test_a_body_that_keeps_breaking_fails_with_the_key(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(64 * KiB)
    key, digest = put_blob(bucket, data)
    settings = DownloadSettings(chunk_size=16 * KiB, max_resumes=0, attempts=2)
    GetObjectSpy(conn, break_after=10, breaks=100)

    with pytest.raises(OperationFailed, match=re.escape(key)):
        download_blobs(
            conn,
            [job(tmp_path, key, digest, len(data))],
            listener=RecordingListener(),
            settings=settings,
        )

    assert list(tmp_path.iterdir()) == []


def test_corrupt_bytes_fail_naming_the_digest_and_leave_nothing(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(600 * KiB)
    key, digest = put_blob(bucket, data)
    bucket.put(key, os.urandom(len(data)))  # same size, other bytes

    with pytest.raises(IntegrityError, match=str(digest)):
        download_blobs(
            conn,
            [job(tmp_path, key, digest, len(data))],
            listener=RecordingListener(),
            settings=SMALL_PARTS,
        )

    assert list(tmp_path.iterdir()) == []


def test_a_blob_of_the_wrong_size_fails_at_once(bucket, conn, tmp_path: Path) -> None:
    data = b"twelve bytes"
    key, digest = put_blob(bucket, data)
    spy = GetObjectSpy(conn)

    with pytest.raises(BlobSizeMismatch, match="is 12 bytes, but the manifest"):
        download_blobs(
            conn, [job(tmp_path, key, digest, 13)], listener=RecordingListener()
        )

    assert spy.ranges == [None]
    assert list(tmp_path.iterdir()) == []


def test_a_blob_smaller_than_its_later_parts_fails_as_a_size_mismatch(
    bucket, conn, tmp_path: Path
) -> None:
    key, digest = put_blob(bucket, b"short")

    with pytest.raises(BlobSizeMismatch, match=str(digest)):
        download_blobs(
            conn,
            [job(tmp_path, key, digest, MiB)],
            listener=RecordingListener(),
            settings=DownloadSettings(
                parallelism=1, part_size=256 * KiB, multipart_threshold=512 * KiB
            ),
        )


def test_a_missing_blob_names_its_key(bucket, conn, tmp_path: Path) -> None:
    digest = Digest("sha256", "1" * 64)

    with pytest.raises(OperationFailed, match="does not exist"):
        download_blobs(
            conn,
            [job(tmp_path, f"blobs/{digest}", digest, 10)],
            listener=RecordingListener(),
        )


def test_a_corrupt_file_under_the_final_name_is_replaced(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(10 * KiB)
    key, digest = put_blob(bucket, data)
    (tmp_path / digest.hex).write_bytes(b"garbage")

    download_blobs(
        conn, [job(tmp_path, key, digest, len(data))], listener=RecordingListener()
    )

    assert (tmp_path / digest.hex).read_bytes() == data


def test_cancelling_midway_removes_temporary_files(
    bucket, conn, tmp_path: Path
) -> None:
    data = os.urandom(MiB)
    key, digest = put_blob(bucket, data)
    cancel = CancelToken()

    class CancelOnFirstBytes(RecordingListener):
        def advanced(self, nbytes: int) -> None:
            super().advanced(nbytes)
            cancel.cancel()

    with pytest.raises(Cancelled):
        download_blobs(
            conn,
            [job(tmp_path, key, digest, len(data))],
            listener=CancelOnFirstBytes(),
            settings=SMALL_PARTS,
            cancel=cancel,
        )

    assert list(tmp_path.iterdir()) == []


def test_parts_written_out_of_order_still_hash_to_the_digest(
    bucket, conn, tmp_path: Path
) -> None:
    # One worker per part, the last part first: every byte is hashed from
    # the file once the parts before it are there.
    data = os.urandom(MiB)
    key, digest = put_blob(bucket, data)
    settings = DownloadSettings(
        parallelism=4,
        part_size=256 * KiB,
        multipart_threshold=512 * KiB,
        chunk_size=16 * KiB,
    )
    first_part_may_go = threading.Event()

    def hold_first_part(params: dict, **_: Any) -> None:
        if params.get("Range", "").startswith("bytes=0-"):
            first_part_may_go.wait(5)
        else:
            ranges_seen.append(params["Range"])
            if len(ranges_seen) == 3:
                first_part_may_go.set()

    ranges_seen: list[str] = []
    conn.client.meta.events.register(
        "provide-client-params.s3.GetObject", hold_first_part
    )

    download_blobs(
        conn,
        [job(tmp_path, key, digest, len(data))],
        listener=RecordingListener(),
        settings=settings,
    )

    assert (tmp_path / digest.hex).read_bytes() == data


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param(0, [(0, 0)], id="empty"),
        pytest.param(100, [(0, 100)], id="small"),
        pytest.param(512 * KiB, [(0, 256 * KiB), (256 * KiB, 512 * KiB)], id="even"),
        pytest.param(
            600 * KiB,
            [(0, 256 * KiB), (256 * KiB, 512 * KiB), (512 * KiB, 600 * KiB)],
            id="remainder",
        ),
    ],
)
def test_ranges(size: int, expected: list[tuple[int, int]]) -> None:
    assert SMALL_PARTS.ranges(size) == expected


@pytest.mark.parametrize(
    "setting", ["parallelism", "part_size", "chunk_size", "attempts"]
)
def test_settings_must_be_positive(setting: str) -> None:
    with pytest.raises(ValueError, match=setting):
        DownloadSettings(**{setting: 0})
