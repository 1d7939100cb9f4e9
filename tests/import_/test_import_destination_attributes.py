"""Every attribute of import's ``--cache-to type=local`` is honoured or reported
as ignored; ``mode=min`` trims the cache as export's does (SPEC section 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from s3cache_cli.cacheconfig import CacheConfig
from s3cache_cli.oci import mediatypes as mt
from tests.local_index import index_without_written, without_written

FIXTURES = Path(__file__).parent.parent / "fixtures"
RUN_MAX = FIXTURES / "local" / "run-max"
S3_MANIFEST = FIXTURES / "s3" / "run-max" / "objects" / "manifests" / "app"


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def import_to(run_cli, buildkit_s3_bucket):
    """``s3cache import`` of BuildKit's cache ``app`` with a --cache-to string."""

    def run(cache_to: str, *options: str):
        spec = buildkit_s3_bucket.spec(name="app")
        return run_cli("import", *options, "--cache-from", spec, "--cache-to", cache_to)

    return run


def tagged_entry(root: Path, tag: str = "latest") -> dict[str, Any]:
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [
        e for e in index["manifests"] if e["annotations"][mt.REF_NAME_ANNOTATION] == tag
    ]
    return entry


def tagged_manifest(root: Path, tag: str = "latest") -> dict[str, Any]:
    return json.loads(blob(root, tagged_entry(root, tag)["digest"]))


def blob(root: Path, digest: str) -> bytes:
    return (root / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def blob_names(root: Path) -> set[str]:
    return {path.name for path in (root / "blobs" / "sha256").iterdir()}


def buildkit_config() -> CacheConfig:
    return CacheConfig.parse(S3_MANIFEST.read_bytes(), source="manifests/app")


# -- mode ------------------------------------------------------------------------


def test_mode_min_writes_the_trimmed_cache(import_to, dest: Path) -> None:
    trimmed = buildkit_config().trim_to_min()

    result = import_to(f"type=local,dest={dest},mode=min")

    assert result.exit_code == 0, result.output
    manifest = tagged_manifest(dest)
    *layers, config = manifest["manifests"]
    assert blob(dest, config["digest"]) == trimmed.to_local_bytes()
    assert layers == trimmed.layer_descriptors()
    assert "ignored" not in result.stderr


def test_mode_min_downloads_only_the_layers_it_keeps(import_to, dest: Path) -> None:
    kept = {digest.hex for digest in buildkit_config().trim_to_min().blob_digests()}
    every_layer = {digest.hex for digest in buildkit_config().blob_digests()}

    result = import_to(f"type=local,dest={dest},mode=min")

    assert result.exit_code == 0, result.output
    assert len(kept) < len(every_layer)
    assert blob_names(dest) & every_layer == kept


def test_mode_min_gives_what_an_export_with_mode_min_gives(
    run_cli, bucket, tmp_path: Path
) -> None:
    exported_min = bucket.spec(name="min")
    exported_max = bucket.spec(name="max")
    run_cli("export", str(RUN_MAX), "--cache-to", exported_min + ",mode=min")
    run_cli("export", str(RUN_MAX), "--cache-to", exported_max)
    plain, trimmed = tmp_path / "plain", tmp_path / "trimmed"

    first = run_cli("import", "--cache-from", exported_min, str(plain))
    second = run_cli(
        "import",
        "--cache-from",
        exported_max,
        "--cache-to",
        f"type=local,dest={trimmed},mode=min",
    )

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert index_without_written(trimmed) == index_without_written(plain)
    assert blob_names(trimmed) == blob_names(plain)


def test_a_dry_run_with_mode_min_counts_the_kept_blobs(import_to, dest: Path) -> None:
    kept = buildkit_config().trim_to_min()

    result = import_to(f"type=local,dest={dest},mode=min", "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["blobs"]["total"] == len(kept.blob_digests())
    assert not dest.exists()


@pytest.mark.parametrize(
    "mode",
    [pytest.param("", id="no-mode"), pytest.param(",mode=max", id="mode-max")],
)
def test_mode_max_or_none_copies_the_cache_as_it_is(
    import_to, dest: Path, mode: str
) -> None:
    result = import_to(f"type=local,dest={dest}{mode}")

    assert result.exit_code == 0, result.output
    assert without_written(tagged_entry(dest)) == tagged_entry(RUN_MAX)


# -- the other attributes ----------------------------------------------------------


@pytest.mark.parametrize(
    "attribute",
    [
        pytest.param("compression=zstd", id="compression"),
        pytest.param("compression-level=9", id="compression-level"),
        pytest.param("force-compression=true", id="force-compression"),
    ],
)
def test_attributes_import_cannot_honour_are_reported_as_ignored(
    import_to, dest: Path, attribute: str
) -> None:
    key = attribute.partition("=")[0]

    result = import_to(f"type=local,dest={dest},{attribute}")

    assert result.exit_code == 0, result.output
    assert f"--cache-to: {key} ignored" in result.stderr
    assert without_written(tagged_entry(dest)) == tagged_entry(RUN_MAX)


@pytest.mark.parametrize(
    ("attribute", "expected_type"),
    [
        pytest.param("image-manifest=true", mt.OCI_MANIFEST, id="image-manifest"),
        pytest.param(
            "oci-mediatypes=false", mt.DOCKER_MANIFEST_LIST, id="oci-mediatypes"
        ),
    ],
)
def test_the_form_attributes_choose_the_manifest_written(
    import_to, dest: Path, attribute: str, expected_type: str
) -> None:
    result = import_to(f"type=local,dest={dest},tag=t,{attribute}")

    assert result.exit_code == 0, result.output
    assert tagged_manifest(dest, "t")["mediaType"] == expected_type
    assert "ignored" not in result.stderr


def test_ignore_error_on_the_destination_turns_a_failure_into_a_warning(
    run_cli, bucket, dest: Path
) -> None:
    result = run_cli(
        "import",
        "--cache-from",
        bucket.spec(name="absent"),
        "--cache-to",
        f"type=local,dest={dest},ignore-error=true",
    )

    assert result.exit_code == 0
    assert "(ignored: ignore-error=true)" in result.stderr
    assert not dest.exists()
