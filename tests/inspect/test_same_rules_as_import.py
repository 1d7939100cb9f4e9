"""inspect calls a manifest valid only when import and export would take it.

Each manifest below is one that ``s3cache import`` refuses. inspect must list
every one of them among the invalid caches, whatever the reason, and export
must refuse it as well.
"""

from __future__ import annotations

import json

import pytest

GOOD = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def layer(blob: str = GOOD, **fields) -> dict:
    annotations = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "diffID": GOOD,
        "size": 3,
        "createdAt": "2026-12-04T15:05:39Z",
    }
    return {"blob": blob, "parent": -1, "annotations": annotations, **fields}


def bare(blob: str = GOOD, **fields) -> dict:
    """A layer as the local form writes it: no annotations."""
    return {"blob": blob, "parent": -1, **fields}


def record(**fields) -> dict:
    return {"digest": GOOD, "layers": [{"layer": 0}], **fields}


def doc(layers: list, records: list | None = None) -> bytes:
    return json.dumps({"layers": layers, "records": records or [record()]}).encode()


def annotated(**changes) -> dict:
    base = layer()
    return {**base, "annotations": {**base["annotations"], **changes}}


REFUSED = [
    pytest.param(doc([layer(), bare(OTHER, parent=0)]), id="one-layer-bare"),
    pytest.param(doc([bare()]), id="every-layer-bare"),
    pytest.param(doc([layer(), bare(OTHER, parent=0)], []), id="bare-no-records"),
    pytest.param(doc([annotated(diffID="sha256:abc")]), id="bad-diff-id"),
    pytest.param(doc([annotated(size=-1)]), id="negative-size"),
    pytest.param(doc([annotated(createdAt="yesterday")]), id="bad-time"),
    pytest.param(doc([layer(parent=1), layer(OTHER, parent=0)]), id="layer-loop"),
    pytest.param(doc([layer(parent=4)]), id="parent-out-of-range"),
    pytest.param(doc([layer("sha256:../etc")]), id="bad-digest"),
    pytest.param(doc([layer()], [record(inputs=[[]])]), id="empty-input"),
    pytest.param(
        doc([layer()], [record(layers=[{"layer": 3}])]), id="result-out-of-range"
    ),
    pytest.param(b"not json", id="not-json"),
]


@pytest.mark.parametrize("manifest", REFUSED)
def test_what_import_refuses_inspect_lists_as_invalid(
    run_cli, bucket, tmp_path, manifest: bytes
) -> None:
    bucket.put("manifests/app", manifest)

    imported = run_cli(
        "import", "--cache-from", bucket.spec(name="app"), str(tmp_path / "d")
    )
    listed = run_cli("inspect", "--json", "--cache-from", bucket.spec())

    assert imported.exit_code == 1, imported.output
    assert listed.exit_code == 0, listed.output
    assert listed.json["caches"] == []
    (invalid,) = listed.json["invalid"]
    assert invalid["name"] == "app"
    assert invalid["reason"] in imported.stderr


@pytest.mark.parametrize("manifest", REFUSED)
def test_what_import_refuses_export_refuses(run_cli, bucket, manifest: bytes) -> None:
    bucket.put("manifests/app", manifest)

    exported = run_cli(
        "export",
        "--cache-from",
        bucket.spec(name="app"),
        "--cache-to",
        bucket.spec(name="copy"),
    )

    assert exported.exit_code == 1, exported.output
    listed = bucket.keys()
    assert "manifests/copy" not in listed


def test_a_bare_layer_is_named_with_its_reason(run_cli, bucket) -> None:
    bucket.put("manifests/app", doc([layer(), bare(OTHER, parent=0)]))

    listed = run_cli("inspect", "--cache-from", bucket.spec())

    invalid = listed.stdout.split("Invalid caches\n")[1]
    assert f"layer 1 ({OTHER}) has no annotations, so it has no media" in invalid
    assert listed.exit_code == 0


def test_a_bare_layer_fails_the_check(run_cli, bucket) -> None:
    bucket.put("manifests/app", doc([bare()]))

    checked = run_cli("inspect", "--check", "--cache-from", bucket.spec())

    assert checked.exit_code == 1
    assert "invalid caches: app" in checked.stderr


def test_a_named_bare_cache_is_shown_as_invalid(run_cli, bucket) -> None:
    bucket.put("manifests/app", doc([bare()]))

    listed = run_cli("inspect", "--json", "--cache-from", bucket.spec(name="app"))

    assert [c["name"] for c in listed.json["invalid"]] == ["app"]
    assert listed.json["caches"] == []
