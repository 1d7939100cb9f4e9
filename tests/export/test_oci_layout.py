"""Reading local OCI layouts: both manifest forms, tags, digests, and refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import CacheNotFound, IntegrityError, InvalidManifest
from s3cache_cli.oci import mediatypes
from s3cache_cli.oci.layout import Descriptor, OciLayout, split_manifest
from tests.conftest import FIXTURES
from tests.export.cachebuilder import (
    digest_of,
    write_blob,
    write_local_cache,
)

S3_MANIFEST = FIXTURES / "s3" / "run-max" / "objects" / "manifests" / "app"


def rewrite_index(root: Path, entries: list[dict]) -> None:
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": entries})
    )


def index_entries(root: Path) -> list[dict]:
    return json.loads((root / "index.json").read_text())["manifests"]


def test_the_index_form_reads_to_buildkit_s3_manifest(local_fixture) -> None:
    loaded = OciLayout(local_fixture("run-max")).load_cache()

    assert loaded.config.to_s3_bytes() == S3_MANIFEST.read_bytes()
    assert loaded.manifest.media_type == mediatypes.OCI_INDEX
    assert loaded.manifest.tag == "latest"


def test_the_image_manifest_form_reads_with_its_layers(local_fixture) -> None:
    loaded = OciLayout(local_fixture("run-max-v0.32")).load_cache()

    assert loaded.manifest.media_type == mediatypes.OCI_MANIFEST
    assert len(loaded.config.blob_digests()) == 6
    assert all(layer.annotations for layer in loaded.config.layers)


@pytest.mark.parametrize(
    ("tag", "media_type"),
    [
        pytest.param("latest", mediatypes.DOCKER_MANIFEST_LIST, id="docker-list"),
        pytest.param("oci", mediatypes.OCI_INDEX, id="oci-index"),
    ],
)
def test_a_tag_picks_its_index_entry(local_fixture, tag: str, media_type: str) -> None:
    layout = OciLayout(local_fixture("copy-dockermt-2tags"))

    loaded = layout.load_cache(tag=tag)

    assert loaded.manifest.tag == tag
    assert loaded.manifest.media_type == media_type


def test_no_tag_means_latest(local_fixture) -> None:
    layout = OciLayout(local_fixture("copy-dockermt-2tags"))

    assert layout.resolve().tag == "latest"
    assert layout.tags() == ["latest", "oci"]


def test_a_digest_picks_the_entry_whatever_its_tag(local_fixture) -> None:
    layout = OciLayout(local_fixture("copy-dockermt-2tags"))
    oci_entry = layout.resolve(tag="oci")

    assert layout.resolve(digest=oci_entry.digest) == oci_entry


def test_a_digest_no_tag_names_is_read_from_its_blob(local_fixture) -> None:
    root = local_fixture("run-max")
    entry = OciLayout(root).resolve()
    rewrite_index(root, [])

    found = OciLayout(root).resolve(digest=entry.digest)

    assert found.digest == entry.digest
    assert found.size == entry.size
    assert found.media_type == mediatypes.OCI_INDEX


def test_an_unknown_tag_is_not_found_and_lists_the_tags(local_fixture) -> None:
    layout = OciLayout(local_fixture("copy-dockermt-2tags"))

    with pytest.raises(CacheNotFound, match="no tag 'main'") as caught:
        layout.resolve(tag="main")

    assert caught.value.hint == "tags in index.json: latest, oci"


def test_a_directory_without_index_is_not_a_cache(tmp_path: Path) -> None:
    with pytest.raises(CacheNotFound, match=r"index\.json is missing"):
        OciLayout(tmp_path).load_cache()


def test_a_missing_directory_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(CacheNotFound, match=r"nowhere does not exist$"):
        OciLayout(tmp_path / "nowhere").read_index()


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("")

    with pytest.raises(CacheNotFound, match=r"cache is a file, not a directory$"):
        OciLayout(tmp_path / "cache").read_index()


def test_oci_layout_file_is_not_required(local_fixture) -> None:
    root = local_fixture("run-max-v0.32")
    (root / "oci-layout").unlink()

    assert len(OciLayout(root).load_cache().config.layers) == 6


def test_blob_paths_come_from_the_digest(tmp_path: Path) -> None:
    digest = parse_digest("sha256:" + "ab" * 32)

    assert OciLayout(tmp_path).blob_path(digest) == (
        tmp_path / "blobs" / "sha256" / ("ab" * 32)
    )


def test_a_blob_linked_outside_the_layout_is_refused(
    tmp_path: Path, local_fixture
) -> None:
    root = local_fixture("run-max")
    entry = OciLayout(root).resolve()
    outside = tmp_path / "elsewhere"
    outside.write_bytes((root / "blobs" / "sha256" / entry.digest.hex).read_bytes())
    blob = root / "blobs" / "sha256" / entry.digest.hex
    blob.unlink()
    blob.symlink_to(outside)

    with pytest.raises(IntegrityError, match="leads outside"):
        OciLayout(root).load_cache()


def test_a_blobs_folder_linked_outside_is_refused(
    tmp_path: Path, local_fixture
) -> None:
    root = local_fixture("run-max")
    moved = tmp_path / "moved-blobs"
    (root / "blobs").rename(moved)
    (root / "blobs").symlink_to(moved)

    with pytest.raises(IntegrityError, match="blobs is a symbolic link"):
        OciLayout(root).load_cache()


def test_a_link_inside_the_layout_is_followed(local_fixture) -> None:
    root = local_fixture("run-max")
    entry = OciLayout(root).resolve()
    blob = root / "blobs" / "sha256" / entry.digest.hex
    kept = root / "kept-manifest"
    blob.rename(kept)
    blob.symlink_to(kept)

    assert OciLayout(root).load_cache().manifest == entry


def test_a_manifest_blob_that_does_not_match_its_digest_is_refused(
    local_fixture,
) -> None:
    root = local_fixture("run-max")
    entry = OciLayout(root).resolve()
    blob = root / "blobs" / "sha256" / entry.digest.hex
    blob.write_bytes(blob.read_bytes().replace(b"latest", b"lat3st") + b" ")

    with pytest.raises(IntegrityError, match=str(entry.digest)):
        OciLayout(root).load_cache()


def test_a_missing_config_blob_is_named(local_fixture) -> None:
    root = local_fixture("run-max")
    loaded_index = json.loads(
        (root / "blobs" / "sha256" / OciLayout(root).resolve().digest.hex).read_text()
    )
    config_digest = loaded_index["manifests"][-1]["digest"]
    (root / "blobs" / "sha256" / config_digest[7:]).unlink()

    with pytest.raises(IntegrityError, match=f"{config_digest} is missing"):
        OciLayout(root).load_cache()


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param(
            {
                "mediaType": mediatypes.OCI_INDEX,
                "digest": "sha256:../../etc",
                "size": 1,
            },
            "invalid digest",
            id="path-in-digest",
        ),
        pytest.param(
            {"mediaType": mediatypes.OCI_INDEX, "digest": "md5:abc", "size": 1},
            "unknown algorithm",
            id="unknown-algorithm",
        ),
        pytest.param(
            {"mediaType": mediatypes.OCI_INDEX, "digest": digest_of(b""), "size": -1},
            "size must be a non-negative integer",
            id="negative-size",
        ),
        pytest.param(
            {"mediaType": 7, "digest": digest_of(b""), "size": 0},
            "mediaType must be a string",
            id="media-type-number",
        ),
        pytest.param(
            {
                "mediaType": mediatypes.OCI_INDEX,
                "digest": digest_of(b""),
                "size": 0,
                "annotations": {"org.opencontainers.image.ref.name": 1},
            },
            "annotations must map strings to strings",
            id="annotation-number",
        ),
        pytest.param("sha256:abc", "must be a JSON object", id="not-an-object"),
    ],
)
def test_a_bad_index_entry_is_reported_with_its_place_and_reason(
    tmp_path: Path, entry: object, reason: str
) -> None:
    rewrite_index(tmp_path, [entry])

    index = OciLayout(tmp_path).read_index()

    assert index.entries == ()
    [bad] = index.bad
    assert bad.position == 0
    assert bad.reason.startswith("index.json manifests[0]: ")
    assert reason in bad.reason


def test_an_index_that_is_not_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json")

    with pytest.raises(InvalidManifest, match="not valid JSON"):
        OciLayout(tmp_path).read_index()


def test_an_image_manifest_of_an_image_is_not_a_cache() -> None:
    document = {
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {
            "mediaType": mediatypes.OCI_IMAGE_CONFIG,
            "digest": digest_of(b"{}"),
            "size": 2,
        },
        "layers": [],
    }

    with pytest.raises(InvalidManifest, match="config has media type") as caught:
        split_manifest(document, "manifest")
    assert caught.value.hint == "this is an image, not a build cache"


def test_an_index_without_a_cache_config_is_refused() -> None:
    document = {"mediaType": mediatypes.OCI_INDEX, "manifests": []}

    with pytest.raises(InvalidManifest, match=r"expected one .* entry, found 0"):
        split_manifest(document, "manifest")


def test_neither_form_is_refused() -> None:
    with pytest.raises(InvalidManifest, match="neither an image index"):
        split_manifest({"schemaVersion": 2}, "manifest")


def test_the_index_form_splits_layers_from_the_config() -> None:
    layer = {
        "mediaType": mediatypes.OCI_LAYER_GZIP,
        "digest": digest_of(b"a"),
        "size": 1,
    }
    config = {
        "mediaType": mediatypes.CACHE_CONFIG,
        "digest": digest_of(b"c"),
        "size": 1,
    }

    found_config, layers = split_manifest({"manifests": [layer, config]}, "m")

    assert found_config.digest == parse_digest(config["digest"])
    assert [entry.to_json() for entry in layers] == [layer]


def test_descriptors_keep_their_annotations_through_json() -> None:
    data = {
        "mediaType": mediatypes.OCI_LAYER_GZIP,
        "digest": digest_of(b"x"),
        "size": 1,
        "annotations": {"containerd.io/uncompressed": digest_of(b"y")},
    }

    assert Descriptor.from_json(data, where="test").to_json() == data


def test_a_synthetic_cache_round_trips(tmp_path: Path) -> None:
    blobs = [os.urandom(100), os.urandom(200)]
    root = write_local_cache(tmp_path / "cache", blobs, tag="ci")

    loaded = OciLayout(root).load_cache(tag="ci")

    assert [str(d) for d in loaded.config.blob_digests()] == [
        digest_of(b) for b in blobs
    ]


def test_read_blob_refuses_a_blob_over_the_limit(tmp_path: Path) -> None:
    written = write_blob(tmp_path, b"x" * 100)

    with pytest.raises(InvalidManifest, match="larger than 10 bytes"):
        OciLayout(tmp_path).read_blob(parse_digest(written["digest"]), limit=10)
