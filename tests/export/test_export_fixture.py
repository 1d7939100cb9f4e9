"""Exporting BuildKit's own local caches gives what BuildKit writes to S3."""

from __future__ import annotations

import json
import time

import pytest

from s3cache_cli.cacheconfig import CacheConfig
from s3cache_cli.oci import mediatypes
from s3cache_cli.oci.layout import OciLayout
from tests.conftest import FIXTURES

S3_FIXTURE = FIXTURES / "s3" / "run-max" / "objects"
RUN_MAX_BLOBS = sorted(
    path.name for path in (S3_FIXTURE / "blobs").iterdir() if path.is_file()
)


def fixture_keys() -> list[str]:
    return sorted(
        path.relative_to(S3_FIXTURE).as_posix()
        for path in S3_FIXTURE.rglob("*")
        if path.is_file()
    )


def export(run_cli, source, spec: str):
    """Export ``source`` (a directory, or a --cache-from string) to ``spec``."""
    where = ["--cache-from", source] if isinstance(source, str) else [str(source)]
    result = run_cli("export", *where, "--cache-to", spec, "--json")
    assert result.exit_code == 0, result.output
    return result.json


def test_run_max_export_is_byte_identical_to_buildkit(
    run_cli, bucket, local_fixture
) -> None:
    export(run_cli, local_fixture("run-max"), bucket.spec(name="app;app-alias"))

    assert bucket.keys() == fixture_keys()
    for key in fixture_keys():
        assert bucket.get(key) == (S3_FIXTURE / key).read_bytes(), key


def test_objects_are_octet_streams_without_metadata_as_buildkit_writes(
    run_cli, bucket, local_fixture
) -> None:
    export(run_cli, local_fixture("run-max"), bucket.spec(name="app"))

    written = bucket.keys()
    assert len(written) == 7
    for key in written:
        head = bucket.client.head_object(Bucket=bucket.name, Key=key)
        assert head["ContentType"] == "application/octet-stream", key
        assert head["Metadata"] == {}, key


def test_blobs_are_checked_then_sent_and_the_manifests_come_last(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    export(run_cli, local_fixture("run-max"), bucket.spec(name="app;app-alias"))

    blob_calls = s3_calls.operations(key_prefix="blobs/")
    assert blob_calls == ["HeadObject"] * 6 + ["PutObject"] * 6
    writes = [call for call in s3_calls.calls if call.operation == "PutObject"]
    assert [call.key for call in writes[-2:]] == [
        "manifests/app",
        "manifests/app-alias",
    ]
    assert all(call.key.startswith("blobs/") for call in writes[:-2])


def test_a_second_export_sends_no_blob_and_only_heads_them(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    source = local_fixture("run-max")
    export(run_cli, source, bucket.spec(name="app"))
    s3_calls.calls.clear()

    document = export(run_cli, source, bucket.spec(name="app"))

    assert document["blobs"] == {"upload": 0, "touch": 0, "present": 6}
    assert document["bytes_sent"] == 0
    assert [call.operation for call in s3_calls.calls] == ["HeadObject"] * 6 + [
        "PutObject"
    ]
    assert s3_calls.calls[-1].key == "manifests/app"


def test_blobs_older_than_touch_refresh_are_touched(
    run_cli, bucket, local_fixture
) -> None:
    source = local_fixture("run-max")
    export(run_cli, source, bucket.spec(name="app"))
    before = {
        key: bucket.client.head_object(Bucket=bucket.name, Key=key)
        for key in bucket.keys("blobs/")
    }
    time.sleep(2.1)  # LastModified has whole seconds

    document = export(run_cli, source, bucket.spec(name="app", touch_refresh="1s"))

    assert document["blobs"] == {"upload": 0, "touch": 6, "present": 0}
    for key, old in before.items():
        new = bucket.client.head_object(Bucket=bucket.name, Key=key)
        assert new["LastModified"] > old["LastModified"], key
        assert "updated-at" in new["Metadata"], key
        assert new["ContentType"] == "application/octet-stream"
        assert bucket.get(key) == (S3_FIXTURE / key).read_bytes()


def test_fresh_blobs_are_left_alone_with_the_default_touch_refresh(
    run_cli, bucket, local_fixture
) -> None:
    source = local_fixture("run-max")
    export(run_cli, source, bucket.spec(name="app"))
    time.sleep(1.1)

    document = export(run_cli, source, bucket.spec(name="app"))

    assert document["blobs"]["touch"] == 0
    head = bucket.client.head_object(Bucket=bucket.name, Key=bucket.keys("blobs/")[0])
    assert head["Metadata"] == {}


@pytest.mark.parametrize(
    ("tag", "layer_type"),
    [
        pytest.param("latest", mediatypes.DOCKER_LAYER_GZIP, id="docker-media-types"),
        pytest.param("oci", mediatypes.OCI_LAYER_GZIP, id="oci-media-types"),
    ],
)
def test_each_tag_of_a_two_tag_cache_exports(
    run_cli, bucket, local_fixture, tag: str, layer_type: str
) -> None:
    source = local_fixture("copy-dockermt-2tags")

    export(run_cli, f"type=local,src={source},tag={tag}", bucket.spec(name=tag))

    manifest = json.loads(bucket.get(f"manifests/{tag}"))
    assert {layer["annotations"]["mediaType"] for layer in manifest["layers"]} == {
        layer_type
    }
    blob_keys = {f"blobs/{layer['blob']}" for layer in manifest["layers"]}
    assert set(bucket.keys("blobs/")) == blob_keys


def test_both_tags_share_their_blobs_in_one_bucket(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    source = local_fixture("copy-dockermt-2tags")
    spec = f"type=local,src={source}"
    export(run_cli, spec, bucket.spec(name="docker"))
    s3_calls.calls.clear()

    document = export(run_cli, spec + ",tag=oci", bucket.spec(name="oci"))

    assert document["blobs"]["upload"] == 0
    assert bucket.keys("manifests/") == ["manifests/docker", "manifests/oci"]


def test_the_image_manifest_form_of_current_buildkit_exports(
    run_cli, bucket, local_fixture
) -> None:
    source = local_fixture("run-max-v0.32")
    manifest_digest = OciLayout(source).resolve().digest
    layout_manifest = json.loads(
        (source / "blobs" / "sha256" / manifest_digest.hex).read_bytes()
    )

    document = export(run_cli, source, bucket.spec(name="app"))

    assert document["blobs"]["upload"] == 6
    exported = json.loads(bucket.get("manifests/app"))
    by_blob = {layer["blob"]: layer["annotations"] for layer in exported["layers"]}
    for descriptor in layout_manifest["layers"]:
        annotations = by_blob[descriptor["digest"]]
        assert annotations["size"] == descriptor["size"]
        assert annotations["mediaType"] == descriptor["mediaType"]
        assert (
            annotations["diffID"]
            == descriptor["annotations"]["containerd.io/uncompressed"]
        )
        blob_file = source / "blobs" / "sha256" / descriptor["digest"][7:]
        assert bucket.get(f"blobs/{descriptor['digest']}") == blob_file.read_bytes()


def test_mode_min_exports_the_trimmed_cache_and_only_its_blobs(
    run_cli, bucket, local_fixture
) -> None:
    source = local_fixture("run-max")
    full = OciLayout(source).load_cache().config
    trimmed = full.trim_to_min()

    document = export(run_cli, source, bucket.spec(name="app", mode="min"))

    assert bucket.get("manifests/app") == trimmed.to_s3_bytes()
    assert len(trimmed.layers) < len(full.layers)
    assert bucket.keys("blobs/") == sorted(
        f"blobs/{digest}" for digest in trimmed.blob_digests()
    )
    assert document["blobs"]["upload"] == len(trimmed.blob_digests())
    CacheConfig.parse(bucket.get("manifests/app"), source="exported").validate()


def test_mode_max_is_the_cache_as_it_is(run_cli, bucket, local_fixture) -> None:
    export(run_cli, local_fixture("run-max"), bucket.spec(name="app", mode="max"))

    assert (
        bucket.get("manifests/app") == (S3_FIXTURE / "manifests" / "app").read_bytes()
    )


def test_a_prefix_goes_in_front_of_every_key(run_cli, bucket, local_fixture) -> None:
    export(run_cli, local_fixture("run-max"), bucket.spec(name="app", prefix="team1/"))

    one_name = [key for key in fixture_keys() if key != "manifests/app-alias"]
    assert bucket.keys() == [f"team1/{key}" for key in one_name]


def test_the_blob_digests_are_the_fixture_blobs() -> None:
    # Guards the tests above: the S3 fixture holds the six layers of run-max.
    config = OciLayout(FIXTURES / "local" / "run-max").load_cache().config
    assert sorted(str(digest) for digest in config.blob_digests()) == RUN_MAX_BLOBS
