"""BuildKit's local caches through ``s3cache export`` and back with ``import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.local_index import without_written

FIXTURES = Path(__file__).parent.parent / "fixtures" / "local"
REF_NAME = "org.opencontainers.image.ref.name"


def tagged(root: Path, tag: str) -> dict:
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [e for e in index["manifests"] if e["annotations"][REF_NAME] == tag]
    return entry


def blob(root: Path, digest: str) -> bytes:
    return (root / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def referenced_blobs(root: Path, tag: str) -> set[str]:
    manifest = json.loads(blob(root, tagged(root, tag)["digest"]))
    descriptors = manifest.get("manifests") or [manifest["config"], *manifest["layers"]]
    return {d["digest"] for d in descriptors} | {tagged(root, tag)["digest"]}


@pytest.mark.parametrize(
    ("fixture", "tag", "form"),
    [
        pytest.param("run-max", "latest", "", id="oci-index"),
        pytest.param(
            "run-max-v0.32", "latest", ",image-manifest=true", id="image-manifest"
        ),
        pytest.param(
            "copy-dockermt-2tags",
            "latest",
            ",oci-mediatypes=false",
            id="docker-manifest-list",
        ),
        pytest.param("copy-dockermt-2tags", "oci", "", id="second-tag"),
    ],
)
def test_export_then_import_gives_buildkits_bytes_back(
    run_cli, bucket, tmp_path: Path, fixture: str, tag: str, form: str
) -> None:
    source = FIXTURES / fixture
    spec = bucket.spec(name="round-trip")
    dest = tmp_path / "imported"

    exported = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={source},tag={tag}",
        "--cache-to",
        spec,
    )
    imported = run_cli(
        "import",
        "--cache-from",
        spec,
        "--cache-to",
        f"type=local,dest={dest},tag={tag}{form}",
    )

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    assert without_written(tagged(dest, tag)) == tagged(source, tag)
    for digest in referenced_blobs(source, tag):
        assert blob(dest, digest) == blob(source, digest)
