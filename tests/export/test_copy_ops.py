"""Server-side copies and touches, and when two caches count as one endpoint."""

from __future__ import annotations

import hashlib
import os
import time
from types import SimpleNamespace

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import IntegrityError, OperationFailed
from s3cache_cli.s3 import copy
from s3cache_cli.s3.copy import copy_within, same_endpoint, touch
from s3cache_cli.s3.stream_copy import stream_copy
from s3cache_cli.s3.transfer import CancelToken
from tests.export.conftest import RecordingListener, pending_uploads

MiB = 1024 * 1024


@pytest.fixture
def small_copy_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    """Multipart copies from 5 MiB in 5 MiB parts, instead of 5 GiB."""
    monkeypatch.setattr(copy, "COPY_LIMIT", 5 * MiB)
    monkeypatch.setattr(copy, "COPY_PART_SIZE", 5 * MiB)
    return 5 * MiB


def head(bucket, key: str) -> dict:
    return bucket.client.head_object(Bucket=bucket.name, Key=key)


def test_a_touch_moves_last_modified_and_keeps_the_bytes(bucket, connection) -> None:
    data = os.urandom(1000)
    bucket.put("blobs/t", data)
    before = head(bucket, "blobs/t")
    time.sleep(1.1)

    touch(connection(), "blobs/t", len(data), cancel=CancelToken())

    after = head(bucket, "blobs/t")
    assert after["LastModified"] > before["LastModified"]
    assert set(after["Metadata"]) == {"updated-at"}
    assert after["Metadata"]["updated-at"].endswith("Z")
    assert after["ContentType"] == "application/octet-stream"
    assert bucket.get("blobs/t") == data


def test_a_big_object_is_touched_by_a_multipart_copy(
    bucket, connection, s3_calls, small_copy_parts
) -> None:
    data = os.urandom(2 * small_copy_parts + 99)
    bucket.put("blobs/big", data)
    before = head(bucket, "blobs/big")
    time.sleep(1.1)

    touch(connection(), "blobs/big", len(data), cancel=CancelToken())

    assert s3_calls.operations() == [
        "CreateMultipartUpload",
        "UploadPartCopy",
        "UploadPartCopy",
        "UploadPartCopy",
        "CompleteMultipartUpload",
    ]
    after = head(bucket, "blobs/big")
    assert after["LastModified"] > before["LastModified"]
    assert "updated-at" in after["Metadata"]
    assert bucket.get("blobs/big") == data
    assert pending_uploads(bucket) == []


def test_a_copy_to_another_bucket_has_no_user_metadata(
    bucket, s3_server, connection
) -> None:
    bucket.client.put_object(
        Bucket=bucket.name, Key="blobs/m", Body=b"abc", Metadata={"updated-at": "x"}
    )
    other = f"{bucket.name}-copy"
    s3_server.client().create_bucket(Bucket=other)
    dest = connection(bucket=other)

    copy_within(dest, bucket.name, "blobs/m", "blobs/n", 3, cancel=CancelToken())

    copied = s3_server.client().head_object(Bucket=other, Key="blobs/n")
    assert copied["Metadata"] == {}
    assert copied["ContentType"] == "application/octet-stream"


def test_a_failed_multipart_copy_is_aborted(
    bucket, connection, small_copy_parts
) -> None:
    with pytest.raises(OperationFailed, match=r"s3://.*/blobs/missing does not exist"):
        copy_within(
            connection(),
            bucket.name,
            "blobs/missing",
            "blobs/target",
            3 * small_copy_parts,
            cancel=CancelToken(),
        )

    assert pending_uploads(bucket) == []
    assert bucket.keys() == []


def fake_connection(endpoint_url: str | None, region: str = "us-east-1", **creds):
    spec = SimpleNamespace(
        region=region,
        access_key_id=creds.get("key"),
        secret_access_key=creds.get("secret"),
        session_token=creds.get("token"),
    )
    return SimpleNamespace(endpoint_url=endpoint_url, spec=spec)


@pytest.mark.parametrize(
    ("source", "dest", "same"),
    [
        pytest.param(
            fake_connection("http://127.0.0.1:8333"),
            fake_connection("http://127.0.0.1:8333/"),
            True,
            id="same-url",
        ),
        pytest.param(
            fake_connection("http://127.0.0.1:8333"),
            fake_connection("http://localhost:8333"),
            False,
            id="other-host-name",
        ),
        pytest.param(
            fake_connection(None, "eu-west-1"),
            fake_connection(None, "eu-west-1"),
            True,
            id="aws-same-region",
        ),
        pytest.param(
            fake_connection(None, "eu-west-1"),
            fake_connection("https://s3.eu-west-1.amazonaws.com", "eu-west-1"),
            True,
            id="aws-explicit-url",
        ),
        pytest.param(
            fake_connection(None, "eu-west-1"),
            fake_connection(None, "us-east-1"),
            False,
            id="aws-other-region",
        ),
        pytest.param(
            fake_connection("http://s3.local", key="a", secret="s"),
            fake_connection("http://s3.local", key="a", secret="s"),
            True,
            id="same-explicit-keys",
        ),
        pytest.param(
            fake_connection("http://s3.local", key="a", secret="s"),
            fake_connection("http://s3.local", key="b", secret="s"),
            False,
            id="other-keys",
        ),
        pytest.param(
            fake_connection("http://s3.local", key="a", secret="s"),
            fake_connection("http://s3.local"),
            False,
            id="keys-and-chain",
        ),
        pytest.param(
            fake_connection("http://s3.local", key="a"),
            fake_connection("http://s3.local"),
            True,
            id="key-without-secret-is-the-chain",
        ),
    ],
)
def test_server_side_copy_needs_one_endpoint_and_one_identity(
    source, dest, same: bool
) -> None:
    assert same_endpoint(source, dest) is same


def test_a_stream_copy_moves_verified_bytes(bucket, connection, s3_calls) -> None:
    data = os.urandom(50_000)
    digest = parse_digest("sha256:" + hashlib.sha256(data).hexdigest())
    bucket.put("src/blob", data)
    listener = RecordingListener()

    stream_copy(
        connection(),
        "src/blob",
        connection(),
        "dst/blob",
        digest=digest,
        size=len(data),
        listener=listener,
        cancel=CancelToken(),
    )

    assert bucket.get("dst/blob") == data
    assert s3_calls.operations() == ["GetObject", "PutObject"]
    assert listener.total == len(data)


def test_a_stream_copy_of_damaged_bytes_publishes_nothing(bucket, connection) -> None:
    data = os.urandom(5000)
    digest = parse_digest("sha256:" + hashlib.sha256(data).hexdigest())
    bucket.put("src/blob", data[:-1] + b"!")
    listener = RecordingListener()

    with pytest.raises(IntegrityError, match=r"s3://.*/src/blob does not match"):
        stream_copy(
            connection(),
            "src/blob",
            connection(),
            "dst/blob",
            digest=digest,
            size=len(data),
            listener=listener,
            cancel=CancelToken(),
        )

    assert bucket.keys("dst/") == []
    assert listener.total == 0  # every attempt's progress was taken back
