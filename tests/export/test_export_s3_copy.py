"""Copying a cache from one S3 place to another: server-side, or streamed."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, S3Bucket

S3_FIXTURE = FIXTURES / "s3" / "run-max" / "objects"
APP_MANIFEST = (S3_FIXTURE / "manifests" / "app").read_bytes()


@pytest.fixture
def other_bucket(s3_server, bucket) -> S3Bucket:
    name = f"{bucket.name}-dest"
    s3_server.client().create_bucket(Bucket=name)
    return S3Bucket(server=s3_server, name=name)


def copy(run_cli, cache_from: str, cache_to: str, *extra: str):
    result = run_cli(
        "export", "--cache-from", cache_from, "--cache-to", cache_to, "--json", *extra
    )
    assert result.exit_code == 0, result.output
    return result.json


def fixture_blob_keys() -> list[str]:
    return sorted(f"blobs/{path.name}" for path in (S3_FIXTURE / "blobs").iterdir())


def test_a_copy_to_another_bucket_stays_on_the_server(
    run_cli, buildkit_s3_bucket, other_bucket, s3_calls
) -> None:
    source = buildkit_s3_bucket.spec(name="app")

    document = copy(run_cli, source, other_bucket.spec(name="main"))

    assert document["transfer"] == "server-side copy"
    assert document["blobs"]["upload"] == 6
    assert other_bucket.get("manifests/main") == APP_MANIFEST
    for key in fixture_blob_keys():
        assert other_bucket.get(key) == (S3_FIXTURE / key).read_bytes()
    assert s3_calls.count("CopyObject") == 6
    assert s3_calls.count("GetObject", key_prefix="blobs/") == 0
    assert s3_calls.count("PutObject", key_prefix="blobs/") == 0


def test_verbose_says_each_blob_was_copied_on_the_server(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    source = buildkit_s3_bucket.spec(name="app")

    result = run_cli(
        "export", "-v", "--cache-from", source, "--cache-to", other_bucket.spec()
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.count("copied server-side sha256:") == 6
    assert result.stderr.count("\ncopy     sha256:") == 6
    assert "upload" not in result.stderr


def test_a_branch_cache_is_seeded_from_main_in_the_same_bucket(
    run_cli, buildkit_s3_bucket, s3_calls
) -> None:
    bucket = buildkit_s3_bucket

    copy(run_cli, bucket.spec(name="app"), bucket.spec(name="pr-42", prefix="pr/"))

    assert bucket.get("pr/manifests/pr-42") == APP_MANIFEST
    assert bucket.keys("pr/blobs/") == [f"pr/{key}" for key in fixture_blob_keys()]
    assert s3_calls.count("GetObject", key_prefix="blobs/") == 0


def test_blobs_already_in_the_destination_are_not_copied(
    run_cli, buildkit_s3_bucket, other_bucket, s3_calls
) -> None:
    source = buildkit_s3_bucket.spec(name="app")
    copy(run_cli, source, other_bucket.spec(name="main"))
    s3_calls.calls.clear()

    document = copy(run_cli, source, other_bucket.spec(name="main"))

    assert document["blobs"] == {"upload": 0, "touch": 0, "present": 6}
    assert s3_calls.count("CopyObject") == 0


def test_a_copy_between_endpoints_streams_verified_bytes(
    run_cli, buildkit_s3_bucket, other_bucket, s3_calls
) -> None:
    # Another host name for the same server counts as another endpoint.
    elsewhere = other_bucket.server.endpoint_url.replace("127.0.0.1", "localhost")

    document = copy(
        run_cli,
        buildkit_s3_bucket.spec(name="app"),
        other_bucket.spec(name="main", endpoint_url=elsewhere),
    )

    assert document["transfer"] == "stream copy"
    assert document["bytes_sent"] == sum(
        (S3_FIXTURE / key).stat().st_size for key in fixture_blob_keys()
    )
    assert other_bucket.get("manifests/main") == APP_MANIFEST
    for key in fixture_blob_keys():
        assert other_bucket.get(key) == (S3_FIXTURE / key).read_bytes()
    assert s3_calls.count("CopyObject") == 0
    assert s3_calls.count("GetObject", key_prefix="blobs/") == 6


def test_a_damaged_source_blob_is_not_published_by_a_stream_copy(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    key = fixture_blob_keys()[0]
    good = buildkit_s3_bucket.get(key)
    buildkit_s3_bucket.put(key, good[:-1] + bytes([good[-1] ^ 1]))
    elsewhere = other_bucket.server.endpoint_url.replace("127.0.0.1", "localhost")

    result = run_cli(
        "export",
        "--cache-from",
        buildkit_s3_bucket.spec(name="app"),
        "--cache-to",
        other_bucket.spec(name="main", endpoint_url=elsewhere),
    )

    assert result.exit_code == 1
    assert f"s3://{buildkit_s3_bucket.name}/{key} does not match" in result.stderr
    assert other_bucket.keys("manifests/") == []
    assert other_bucket.keys(key) == []


def test_the_first_source_name_that_exists_is_copied(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    document = copy(
        run_cli,
        buildkit_s3_bucket.spec(name="pr-7;app-alias"),
        other_bucket.spec(name="pr-7"),
    )

    assert document["source"] == f"s3://{buildkit_s3_bucket.name}/manifests/app-alias"
    assert other_bucket.get("manifests/pr-7") == APP_MANIFEST


def test_a_missing_source_cache_is_not_found(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    result = run_cli(
        "export",
        "--cache-from",
        buildkit_s3_bucket.spec(name="nope;none"),
        "--cache-to",
        other_bucket.spec(),
    )

    assert result.exit_code == 3
    assert "no cache named 'nope' or 'none' in" in result.stderr
    assert other_bucket.keys() == []


def test_a_source_blob_that_is_gone_stops_the_copy_before_any_write(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    gone = fixture_blob_keys()[2]
    buildkit_s3_bucket.delete(gone)

    result = run_cli(
        "export",
        "--cache-from",
        buildkit_s3_bucket.spec(name="app"),
        "--cache-to",
        other_bucket.spec(name="main"),
    )

    assert result.exit_code == 1
    assert f"blob {gone[6:]} of s3://" in result.stderr
    assert "is missing" in result.stderr
    assert other_bucket.keys() == []


def test_mode_min_trims_a_copied_cache(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    from s3cache_cli.cacheconfig import CacheConfig

    trimmed = CacheConfig.parse(APP_MANIFEST, source="fixture").trim_to_min()

    copy(
        run_cli,
        buildkit_s3_bucket.spec(name="app"),
        other_bucket.spec(name="min", mode="min"),
    )

    assert other_bucket.get("manifests/min") == trimmed.to_s3_bytes()
    assert other_bucket.keys("blobs/") == sorted(
        f"blobs/{digest}" for digest in trimmed.blob_digests()
    )


def test_mode_on_the_source_only_warns(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    result = run_cli(
        "export",
        "--cache-from",
        buildkit_s3_bucket.spec(name="app", mode="min"),
        "--cache-to",
        other_bucket.spec(name="main"),
    )

    assert result.exit_code == 0, result.output
    assert "warning: --cache-from: mode=min means nothing on --cache-from" in (
        result.stderr
    )
    assert other_bucket.get("manifests/main") == APP_MANIFEST
