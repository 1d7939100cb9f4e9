from __future__ import annotations

import dataclasses

import pytest

from s3cache_cli.errors import CredentialsError, OperationFailed
from s3cache_cli.s3 import objects
from s3cache_cli.s3.client import connect, is_aws_endpoint, resolve_endpoint
from s3cache_cli.spec import parse_cache_spec


def spec_for(bucket, **attributes: str):
    return parse_cache_spec(bucket.spec(**attributes), direction="from")


def test_environment_credentials_are_named_as_the_source(bucket) -> None:
    conn = connect(spec_for(bucket))

    assert conn.credential_source == "environment variables (AWS_ACCESS_KEY_ID)"
    assert objects.head(conn, "manifests/none") is None


def test_credentials_in_the_flag_string_win(bucket, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-from-env")
    spec = spec_for(
        bucket,
        access_key_id=bucket.server.access_key,
        secret_access_key=bucket.server.secret_key,
    )

    conn = connect(spec)

    assert conn.credential_source.startswith("the flag string")
    assert objects.head(conn, "manifests/none") is None


def test_no_credentials_anywhere_is_a_credentials_error(bucket, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    with pytest.raises(CredentialsError, match="no AWS credentials found") as error:
        connect(spec_for(bucket))

    assert error.value.exit_code == 4


def test_a_wrong_secret_is_reported_as_a_credentials_problem(
    bucket, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    conn = connect(spec_for(bucket))

    with pytest.raises(CredentialsError, match="secret access key does not match"):
        objects.get_small(conn, "manifests/app")


def test_a_missing_bucket_is_named(s3_server, bucket) -> None:
    spec = dataclasses.replace(spec_for(bucket), bucket="s3cache-no-such-bucket")
    conn = connect(spec)

    with pytest.raises(OperationFailed, match="bucket 's3cache-no-such-bucket'"):
        objects.get_small(conn, "manifests/app")


def test_small_objects_round_trip_with_octet_stream(bucket) -> None:
    conn = connect(spec_for(bucket))

    objects.put_small(conn, "manifests/app", b'{"layers":[]}')
    data, info = objects.get_small(conn, "manifests/app")

    assert data == b'{"layers":[]}'
    assert info.size == 13
    head = bucket.client.head_object(Bucket=bucket.name, Key="manifests/app")
    assert head["ContentType"] == "application/octet-stream"


def test_an_oversized_manifest_is_refused_before_reading(bucket) -> None:
    bucket.put("manifests/huge", b"x" * 4096)
    conn = connect(spec_for(bucket))

    with pytest.raises(OperationFailed, match="over 1024 bytes is refused"):
        objects.get_small(conn, "manifests/huge", limit=1024)


@pytest.mark.parametrize(
    ("endpoint", "aws"),
    [
        pytest.param(None, True, id="default"),
        pytest.param("https://s3.eu-west-1.amazonaws.com", True, id="regional"),
        pytest.param("http://127.0.0.1:9000", False, id="loopback"),
        pytest.param("https://abc.r2.cloudflarestorage.com", False, id="r2"),
    ],
)
def test_aws_endpoints_are_recognised(endpoint: str | None, aws: bool) -> None:
    assert is_aws_endpoint(endpoint) is aws


def test_endpoint_falls_back_to_the_environment(monkeypatch) -> None:
    spec = parse_cache_spec("type=s3,bucket=bkt,region=r", direction="from")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert resolve_endpoint(spec) == "http://127.0.0.1:1"

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert resolve_endpoint(spec) == "http://127.0.0.1:2"
