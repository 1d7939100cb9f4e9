"""Import writes every layer in the media type family of the form it writes,
whichever family the cache was exported in, as BuildKit's local exporter does:
OCI types for an OCI index or manifest, Docker types for a Docker list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3cache_cli.oci import mediatypes as mt
from s3cache_cli.oci.writer import Blob, ManifestForm, build_manifest
from tests.local_index import without_written

FIXTURES = Path(__file__).parent.parent / "fixtures" / "local"
TWO_TAGS = FIXTURES / "copy-dockermt-2tags"
DOCKER_LIST = "115086526a21411e8eb821ae1887945454fc1d6705da2377afa2cc1a7e436d4e"
OCI_INDEX = "a51958bc27b54c8bbbcb2679810d82694e4429641e96a9a9f8be5c9724525380"
REF_NAME = mt.REF_NAME_ANNOTATION

OCI_FORMS = [
    pytest.param(ManifestForm(), id="oci-index"),
    pytest.param(ManifestForm(image_manifest=True), id="image-manifest"),
]
DOCKER_FORM = ManifestForm(oci_mediatypes=False)

# Every layer type BuildKit's export converts, with what it becomes in each
# family (util/compression's two maps).
CONVERSIONS = [
    pytest.param(mt.OCI_LAYER, mt.OCI_LAYER, mt.DOCKER_LAYER, id="oci-tar"),
    pytest.param(mt.DOCKER_LAYER, mt.OCI_LAYER, mt.DOCKER_LAYER, id="docker-tar"),
    pytest.param(
        mt.OCI_LAYER_GZIP, mt.OCI_LAYER_GZIP, mt.DOCKER_LAYER_GZIP, id="oci-gzip"
    ),
    pytest.param(
        mt.DOCKER_LAYER_GZIP, mt.OCI_LAYER_GZIP, mt.DOCKER_LAYER_GZIP, id="docker-gzip"
    ),
    pytest.param(
        mt.OCI_LAYER_ZSTD, mt.OCI_LAYER_ZSTD, mt.DOCKER_LAYER_ZSTD, id="oci-zstd"
    ),
    pytest.param(
        mt.DOCKER_LAYER_ZSTD, mt.OCI_LAYER_ZSTD, mt.DOCKER_LAYER_ZSTD, id="docker-zstd"
    ),
    pytest.param(
        mt.OCI_NONDISTRIBUTABLE_LAYER,
        mt.OCI_NONDISTRIBUTABLE_LAYER,
        mt.DOCKER_FOREIGN_LAYER,
        id="oci-nondistributable",
    ),
    pytest.param(
        mt.DOCKER_FOREIGN_LAYER,
        mt.OCI_NONDISTRIBUTABLE_LAYER,
        mt.DOCKER_FOREIGN_LAYER,
        id="docker-foreign",
    ),
    pytest.param(
        mt.OCI_NONDISTRIBUTABLE_LAYER_GZIP,
        mt.OCI_NONDISTRIBUTABLE_LAYER_GZIP,
        mt.DOCKER_FOREIGN_LAYER_GZIP,
        id="oci-nondistributable-gzip",
    ),
    pytest.param(
        mt.DOCKER_FOREIGN_LAYER_GZIP,
        mt.OCI_NONDISTRIBUTABLE_LAYER_GZIP,
        mt.DOCKER_FOREIGN_LAYER_GZIP,
        id="docker-foreign-gzip",
    ),
    # Docker has no foreign zstd type: BuildKit keeps the OCI one in both.
    pytest.param(
        mt.OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
        mt.OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
        mt.OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
        id="oci-nondistributable-zstd",
    ),
    pytest.param(
        "application/x-custom-layer",
        "application/x-custom-layer",
        "application/x-custom-layer",
        id="unknown",
    ),
]


def fixture_blob(hex_digest: str) -> bytes:
    return (TWO_TAGS / "blobs" / "sha256" / hex_digest).read_bytes()


def fixture_parts(hex_digest: str) -> tuple[Blob, list[dict]]:
    document = json.loads(fixture_blob(hex_digest))
    config_descriptor = document["manifests"][-1]
    config = Blob(mt.CACHE_CONFIG, fixture_blob(config_descriptor["digest"][7:]))
    return config, document["manifests"][:-1]


def layer_of(media_type: str) -> dict:
    return {
        "mediaType": media_type,
        "digest": "sha256:" + "1" * 64,
        "size": 3,
        "annotations": {mt.UNCOMPRESSED_ANNOTATION: "sha256:" + "2" * 64},
    }


def written_layer_types(manifest: Blob) -> list[str]:
    document = json.loads(manifest.data)
    layers = document.get("layers") or document["manifests"][:-1]
    return [layer["mediaType"] for layer in layers]


@pytest.mark.parametrize(("given", "as_oci", "as_docker"), CONVERSIONS)
@pytest.mark.parametrize("form", OCI_FORMS)
def test_oci_forms_write_the_oci_type_of_every_layer(
    form: ManifestForm, given: str, as_oci: str, as_docker: str
) -> None:
    config = Blob(mt.CACHE_CONFIG, b"{}")

    manifest = build_manifest(config, [layer_of(given)], form)

    assert written_layer_types(manifest) == [as_oci]


@pytest.mark.parametrize(("given", "as_oci", "as_docker"), CONVERSIONS)
def test_the_docker_form_writes_the_docker_type_of_every_layer(
    given: str, as_oci: str, as_docker: str
) -> None:
    config = Blob(mt.CACHE_CONFIG, b"{}")

    manifest = build_manifest(config, [layer_of(given)], DOCKER_FORM)

    assert written_layer_types(manifest) == [as_docker]


def test_docker_layers_give_buildkits_oci_index_byte_for_byte() -> None:
    config, docker_layers = fixture_parts(DOCKER_LIST)

    manifest = build_manifest(config, docker_layers, ManifestForm())

    assert manifest.data == fixture_blob(OCI_INDEX)
    assert str(manifest.digest) == f"sha256:{OCI_INDEX}"


def test_oci_layers_give_buildkits_docker_list_byte_for_byte() -> None:
    config, oci_layers = fixture_parts(OCI_INDEX)

    manifest = build_manifest(config, oci_layers, DOCKER_FORM)

    assert manifest.data == fixture_blob(DOCKER_LIST)
    assert str(manifest.digest) == f"sha256:{DOCKER_LIST}"


def test_an_image_manifest_from_docker_layers_has_oci_layer_types() -> None:
    config, docker_layers = fixture_parts(DOCKER_LIST)

    manifest = build_manifest(config, docker_layers, ManifestForm(image_manifest=True))

    document = json.loads(manifest.data)
    assert [layer["mediaType"] for layer in document["layers"]] == [
        mt.OCI_LAYER_GZIP
    ] * 4
    assert [{**layer, "mediaType": None} for layer in document["layers"]] == [
        {**layer, "mediaType": None} for layer in docker_layers
    ]


# -- through the CLI: export one tag to S3, import it in the other family ------


def tagged(root: Path, tag: str) -> dict:
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [e for e in index["manifests"] if e["annotations"][REF_NAME] == tag]
    return entry


def blob(root: Path, digest: str) -> bytes:
    return (root / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


@pytest.mark.parametrize(
    ("exported_tag", "form", "expected_tag"),
    [
        pytest.param("latest", "", "oci", id="docker-list-to-oci-index"),
        pytest.param(
            "oci", ",oci-mediatypes=false", "latest", id="oci-index-to-docker-list"
        ),
    ],
)
def test_import_writes_what_buildkit_wrote_for_the_other_family(
    run_cli, bucket, tmp_path: Path, exported_tag: str, form: str, expected_tag: str
) -> None:
    spec = bucket.spec(name="families")
    dest = tmp_path / "imported"

    exported = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={TWO_TAGS},tag={exported_tag}",
        "--cache-to",
        spec,
    )
    imported = run_cli(
        "import",
        "--cache-from",
        spec,
        "--cache-to",
        f"type=local,dest={dest},tag={expected_tag}{form}",
    )

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    expected = tagged(TWO_TAGS, expected_tag)
    assert without_written(tagged(dest, expected_tag)) == expected
    assert blob(dest, expected["digest"]) == blob(TWO_TAGS, expected["digest"])


def test_an_image_manifest_imported_from_docker_layers_is_valid_oci(
    run_cli, bucket, tmp_path: Path
) -> None:
    spec = bucket.spec(name="docker-to-manifest")
    dest = tmp_path / "imported"
    run_cli("export", "--cache-from", f"type=local,src={TWO_TAGS}", "--cache-to", spec)

    imported = run_cli(
        "import",
        "--cache-from",
        spec,
        "--cache-to",
        f"type=local,dest={dest},image-manifest=true",
    )

    assert imported.exit_code == 0, imported.output
    manifest = json.loads(blob(dest, tagged(dest, "latest")["digest"]))
    assert manifest["mediaType"] == mt.OCI_MANIFEST
    assert {layer["mediaType"] for layer in manifest["layers"]} == {mt.OCI_LAYER_GZIP}
