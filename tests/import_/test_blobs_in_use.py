"""Blobs an import relies on but does not write stay safe from a prune running
at the same time: they get the time of now, and a tag never names one that
went missing before index.json was written."""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import pytest

from s3cache_cli.digest import Digest
from s3cache_cli.errors import OperationFailed
from s3cache_cli.oci import mediatypes as mt
from s3cache_cli.oci.writer import Blob, blob_path, update_index, write_blob

TEN_DAYS = 10 * 24 * 3600
MISSING = Digest("sha256", "0" * 64)
# The module, not the click command of the same name in s3cache_cli.cli.
import_module = importlib.import_module("s3cache_cli.cli.import_")


@pytest.fixture
def import_app(run_cli, buildkit_s3_bucket):
    def run(*args: str):
        spec = buildkit_s3_bucket.spec(name="app")
        return run_cli("import", "--cache-from", spec, *args)

    return run


def blob_files(root: Path) -> list[Path]:
    return sorted((root / "blobs" / "sha256").iterdir())


def make_old(paths: list[Path]) -> None:
    then = time.time() - TEN_DAYS
    for path in paths:
        os.utime(path, (then, then))


def layer_files(root: Path, tag: str) -> list[Path]:
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [
        e for e in index["manifests"] if e["annotations"][mt.REF_NAME_ANNOTATION] == tag
    ]
    manifest = json.loads(
        (root / "blobs" / "sha256" / entry["digest"][7:]).read_bytes()
    )
    layers = [d for d in manifest["manifests"] if d["mediaType"] != mt.CACHE_CONFIG]
    return sorted(root / "blobs" / "sha256" / d["digest"][7:] for d in layers)


def test_layers_already_there_are_marked_as_just_used(import_app, tmp_path) -> None:
    dest = tmp_path / "cache"
    assert import_app(str(dest)).exit_code == 0
    make_old(blob_files(dest))
    started = time.time()

    again = import_app("--cache-to", f"type=local,dest={dest},tag=again")

    assert again.exit_code == 0, again.output
    layers = layer_files(dest, "again")
    assert len(layers) == 6
    assert all(path.stat().st_mtime >= started - 1 for path in layers)
    # The manifest blob keeps its time: it tells how old the other tag is.
    others = set(blob_files(dest)) - set(layers)
    assert all(path.stat().st_mtime < started - TEN_DAYS / 2 for path in others)


def test_a_blob_removed_during_the_import_is_named_and_no_tag_is_written(
    import_app, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "cache"
    assert import_app(str(dest)).exit_code == 0
    index_before = (dest / "index.json").read_bytes()
    victim = max(blob_files(dest), key=lambda p: p.stat().st_size)
    download_missing = import_module._download_missing

    def download_while_a_prune_deletes(*args, **kwargs):
        download_missing(*args, **kwargs)
        victim.unlink()

    monkeypatch.setattr(
        import_module, "_download_missing", download_while_a_prune_deletes
    )

    result = import_app("--cache-to", f"type=local,dest={dest},tag=again")

    assert result.exit_code == 1, result.output
    assert f"{victim} disappeared before index.json could name it" in result.stderr
    assert "run the import again" in result.stderr
    assert (dest / "index.json").read_bytes() == index_before


def test_a_rerun_after_such_a_failure_brings_the_blob_back(
    import_app, tmp_path
) -> None:
    dest = tmp_path / "cache"
    assert import_app(str(dest)).exit_code == 0
    victim = max(blob_files(dest), key=lambda p: p.stat().st_size)
    victim.unlink()

    result = import_app("--cache-to", f"type=local,dest={dest},tag=again", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["blobs"]["downloaded"] == 1
    assert victim.is_file()


def test_update_index_refuses_a_tag_whose_blob_is_gone(tmp_path: Path) -> None:
    manifest = Blob(mt.OCI_INDEX, b"{}")
    write_blob(tmp_path, manifest)
    update_index(tmp_path, manifest, "first")
    before = (tmp_path / "index.json").read_bytes()

    with pytest.raises(OperationFailed, match="disappeared") as raised:
        update_index(tmp_path, manifest, "second", needs=[MISSING])

    assert str(blob_path(tmp_path, MISSING)) in str(raised.value)
    assert (tmp_path / "index.json").read_bytes() == before
    tags = [
        e["annotations"][mt.REF_NAME_ANNOTATION]
        for e in json.loads(before)["manifests"]
    ]
    assert tags == ["first"]
