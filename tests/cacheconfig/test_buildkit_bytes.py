"""s3cache reads and writes cache configs byte for byte as real BuildKit does."""

from __future__ import annotations

import json

import pytest

from s3cache_cli.cacheconfig import ZERO_TIME, CacheConfig
from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import InvalidManifest
from s3cache_cli.oci import mediatypes

LOCAL_CACHES = [
    pytest.param("run-max", "latest", id="run-max-oci-index"),
    pytest.param("copy-dockermt-2tags", "latest", id="docker-manifest-list"),
    pytest.param("copy-dockermt-2tags", "oci", id="second-tag-oci-index"),
    pytest.param("run-max-v0.32", "latest", id="v0.32-image-manifest"),
]


@pytest.mark.parametrize("name", ["app", "app-alias"])
def test_s3_manifest_is_written_back_unchanged(buildkit_s3_manifest, name):
    data = buildkit_s3_manifest(name)

    config = CacheConfig.parse(data, source=f"manifests/{name}")

    assert config.to_s3_bytes() == data


@pytest.mark.parametrize(("name", "tag"), LOCAL_CACHES)
def test_local_config_is_written_back_unchanged(buildkit_local, name, tag):
    local = buildkit_local(name, tag)

    config = CacheConfig.parse(local.config, source="config")

    assert config.to_local_bytes() == local.config


@pytest.mark.parametrize(("name", "tag"), LOCAL_CACHES)
def test_local_cache_gives_back_its_layer_descriptors(buildkit_local, name, tag):
    local = buildkit_local(name, tag)

    config = CacheConfig.from_local(local.config, local.all_descriptors, source=name)

    assert config.layer_descriptors() == local.layer_descriptors
    dumped = json.dumps(config.layer_descriptors(), separators=(",", ":"))
    assert dumped == json.dumps(local.layer_descriptors, separators=(",", ":"))


def test_local_export_converts_to_the_s3_export_of_the_same_build(
    buildkit_local, buildkit_s3_manifest
):
    local = buildkit_local("run-max")

    config = CacheConfig.from_local(local.config, local.layer_descriptors, source="x")

    assert config.to_s3_bytes() == buildkit_s3_manifest("app")


def test_s3_export_converts_to_the_local_export_of_the_same_build(
    buildkit_local, buildkit_s3_manifest
):
    local = buildkit_local("run-max")

    config = CacheConfig.parse(buildkit_s3_manifest("app"), source="manifests/app")

    assert config.to_local_bytes() == local.config
    assert config.layer_descriptors() == local.layer_descriptors


@pytest.mark.parametrize(("name", "tag"), LOCAL_CACHES)
def test_local_to_s3_and_back_is_lossless(buildkit_local, name, tag):
    local = buildkit_local(name, tag)
    config = CacheConfig.from_local(local.config, local.all_descriptors, source=name)

    again = CacheConfig.parse(config.to_s3_bytes(), source="manifest")

    assert again == config
    assert again.to_local_bytes() == local.config
    assert again.layer_descriptors() == local.layer_descriptors


def test_docker_media_types_are_kept_as_written(buildkit_local):
    local = buildkit_local("copy-dockermt-2tags", "latest")

    config = CacheConfig.from_local(local.config, local.all_descriptors, source="x")

    assert {layer.annotations.media_type for layer in config.layers} == {
        mediatypes.DOCKER_LAYER_GZIP
    }
    assert b"application/vnd.docker.image.rootfs.diff.tar.gzip" in (
        config.to_s3_bytes()
    )


def test_missing_parent_in_buildkit_output_means_layer_zero(buildkit_s3_manifest):
    config = CacheConfig.parse(buildkit_s3_manifest(), source="manifests/app")

    # BuildKit wrote layer 2 with no "parent" key, and layers 3 and 4 with -1.
    assert [layer.parent for layer in config.layers] == [4, 3, 0, -1, -1, 1]


def test_parent_zero_is_left_out_and_minus_one_is_written():
    blob_a, blob_b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    data = (
        f'{{"layers":[{{"blob":"{blob_a}","parent":-1}},{{"blob":"{blob_b}"}}],'
        f'"records":[{{"layers":[{{"layer":1,"createdAt":"{ZERO_TIME}"}}],'
        f'"digest":"{blob_a}"}}]}}'
    ).encode()

    config = CacheConfig.parse(data, source="x")

    assert config.layers[1].parent == 0
    assert config.to_local_bytes() == data


def test_explicit_parent_zero_is_written_without_it():
    blob_a, blob_b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    data = (
        f'{{"layers":[{{"blob":"{blob_a}","parent":-1}},'
        f'{{"blob":"{blob_b}","parent":0}}]}}'
    ).encode()

    written = CacheConfig.parse(data, source="x").to_local_bytes()

    assert written == data.replace(b',"parent":0', b"")


def test_blob_digests_and_total_size_follow_the_layers(buildkit_local):
    local = buildkit_local("run-max")
    config = CacheConfig.from_local(local.config, local.layer_descriptors, source="x")

    assert [str(d) for d in config.blob_digests()] == [
        d["digest"] for d in local.layer_descriptors
    ]
    assert config.total_size() == sum(d["size"] for d in local.layer_descriptors)


def test_blob_shared_by_two_layers_is_listed_and_counted_once():
    shared = "sha256:" + "a" * 64
    other = "sha256:" + "b" * 64
    annotations = (
        '"annotations":{"mediaType":"m","diffID":"sha256:' + "c" * 64 + '",'
        '"size":10,"createdAt":"2024-01-01T00:00:00Z"}'
    )
    data = (
        f'{{"layers":[{{"blob":"{other}","parent":-1,{annotations}}},'
        f'{{"blob":"{shared}","parent":-1,{annotations}}},'
        f'{{"blob":"{shared}",{annotations}}}]}}'
    ).encode()

    config = CacheConfig.parse(data, source="x")

    assert config.blob_digests() == (parse_digest(other), parse_digest(shared))
    assert config.total_size() == 20
    assert len(config.layer_descriptors()) == 2


def test_a_trailing_newline_is_read_but_never_written(buildkit_s3_manifest):
    data = buildkit_s3_manifest()

    config = CacheConfig.parse(data + b"\n", source="manifests/app")

    assert config.to_s3_bytes() == data


def test_local_only_config_cannot_be_written_in_the_s3_form(buildkit_local):
    local = buildkit_local("run-max")
    config = CacheConfig.parse(local.config, source="config")

    with pytest.raises(InvalidManifest, match=r"layer 0 \(sha256:19e32778") as caught:
        config.to_s3_bytes()

    assert "no annotations" in str(caught.value)


def test_layer_without_a_descriptor_is_named(buildkit_local):
    local = buildkit_local("run-max")

    with pytest.raises(InvalidManifest) as caught:
        CacheConfig.from_local(local.config, local.layer_descriptors[1:], source="dir")

    assert str(caught.value) == (
        "dir: layer blob sha256:19e32778fa10b65301117d8652bcad984f17af6fe5b3fb7514"
        "c6f9099a7e3108 has no descriptor"
    )


def test_descriptor_without_a_diff_id_is_named(buildkit_local):
    local = buildkit_local("run-max")
    descriptors = [dict(d) for d in local.layer_descriptors]
    descriptors[2] = {**descriptors[2], "annotations": {}}

    with pytest.raises(InvalidManifest) as caught:
        CacheConfig.from_local(local.config, descriptors, source="dir")

    message = str(caught.value)
    assert descriptors[2]["digest"] in message
    assert "containerd.io/uncompressed" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("size", "10", id="size-string"),
        pytest.param("size", True, id="size-bool"),
        pytest.param("mediaType", None, id="media-type-null"),
        pytest.param("annotations", ["x"], id="annotations-array"),
        pytest.param("annotations", None, id="annotations-null"),
    ],
)
def test_descriptor_of_the_wrong_shape_is_named(buildkit_local, field, value):
    local = buildkit_local("run-max")
    descriptors = [dict(d) for d in local.layer_descriptors]
    descriptors[0][field] = value

    with pytest.raises(InvalidManifest, match="sha256:19e32778") as caught:
        CacheConfig.from_local(local.config, descriptors, source="dir")

    assert str(caught.value).startswith("dir: ")


def test_unknown_creation_time_is_left_off_the_descriptor(buildkit_local):
    local = buildkit_local("run-max")
    descriptors = [dict(d) for d in local.layer_descriptors]
    descriptors[0]["annotations"] = {
        mediatypes.UNCOMPRESSED_ANNOTATION: "sha256:" + "d" * 64
    }

    config = CacheConfig.from_local(local.config, descriptors, source="dir")

    assert config.layers[0].annotations.created_at == ZERO_TIME
    assert f'"createdAt":"{ZERO_TIME}"' in config.to_s3_bytes().decode()
    again = CacheConfig.parse(config.to_s3_bytes(), source="manifest")
    assert again.layer_descriptors()[0]["annotations"] == {
        mediatypes.UNCOMPRESSED_ANNOTATION: "sha256:" + "d" * 64
    }


def test_unknown_fields_are_dropped_as_buildkit_drops_them():
    blob = "sha256:" + "a" * 64
    data = f'{{"x":1,"layers":[{{"blob":"{blob}","parent":-1,"extra":[1]}}]}}'

    config = CacheConfig.parse(data.encode(), source="x")

    assert (
        config.to_local_bytes()
        == f'{{"layers":[{{"blob":"{blob}","parent":-1}}]}}'.encode()
    )


def test_empty_config_is_valid_and_written_as_an_empty_object():
    config = CacheConfig.parse(b"{}", source="x")

    assert config == CacheConfig()
    assert config.to_s3_bytes() == b"{}"
    assert config.total_size() == 0
