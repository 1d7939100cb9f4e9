"""Layer media types map between the OCI and Docker families as BuildKit maps them."""

from __future__ import annotations

import pytest

from s3cache_cli.oci import mediatypes as mt

PAIRS = [
    pytest.param(mt.OCI_LAYER, mt.DOCKER_LAYER, id="tar"),
    pytest.param(mt.OCI_LAYER_GZIP, mt.DOCKER_LAYER_GZIP, id="tar-gzip"),
    pytest.param(mt.OCI_LAYER_ZSTD, mt.DOCKER_LAYER_ZSTD, id="tar-zstd"),
    pytest.param(mt.OCI_NONDISTRIBUTABLE_LAYER, mt.DOCKER_FOREIGN_LAYER, id="foreign"),
    pytest.param(
        mt.OCI_NONDISTRIBUTABLE_LAYER_GZIP,
        mt.DOCKER_FOREIGN_LAYER_GZIP,
        id="foreign-gzip",
    ),
]


@pytest.mark.parametrize(("oci", "docker"), PAIRS)
def test_layer_type_maps_both_ways(oci, docker):
    assert mt.to_docker_layer_type(oci) == docker
    assert mt.to_oci_layer_type(docker) == oci


@pytest.mark.parametrize(("oci", "docker"), PAIRS)
def test_mapping_into_the_same_family_changes_nothing(oci, docker):
    assert mt.to_oci_layer_type(oci) == oci
    assert mt.to_docker_layer_type(docker) == docker


@pytest.mark.parametrize(
    "media_type",
    [
        pytest.param(mt.CACHE_CONFIG, id="cache-config"),
        pytest.param(mt.OCI_MANIFEST, id="manifest"),
        pytest.param(mt.OCI_NONDISTRIBUTABLE_LAYER_ZSTD, id="foreign-zstd"),
        pytest.param("application/x-unknown", id="unknown"),
    ],
)
def test_types_without_a_counterpart_are_left_alone(media_type):
    assert mt.to_docker_layer_type(media_type) == media_type
    assert mt.to_oci_layer_type(media_type) == media_type


def test_layer_types_are_told_from_other_types():
    assert mt.is_layer_type(mt.DOCKER_LAYER_GZIP)
    assert mt.is_layer_type(mt.OCI_LAYER_ZSTD)
    assert not mt.is_layer_type(mt.CACHE_CONFIG)
    assert not mt.is_layer_type(mt.OCI_INDEX)


def test_buildkit_docker_export_maps_onto_its_oci_export(buildkit_local):
    docker = buildkit_local("copy-dockermt-2tags", "latest").layer_descriptors
    oci = buildkit_local("copy-dockermt-2tags", "oci").layer_descriptors

    converted = [
        {**d, "mediaType": mt.to_oci_layer_type(d["mediaType"])} for d in docker
    ]

    assert converted == oci
    assert [mt.to_docker_layer_type(d["mediaType"]) for d in oci] == [
        d["mediaType"] for d in docker
    ]
