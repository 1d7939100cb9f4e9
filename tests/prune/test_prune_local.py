"""`s3cache prune` on local cache directories (OCI layouts BuildKit wrote)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.prune.execute import Pruner
from s3cache_cli.prune.plan import Rules
from s3cache_cli.stores.local import LocalStore

LATEST_INDEX = "115086526a21411e8eb821ae1887945454fc1d6705da2377afa2cc1a7e436d4e"
OCI_INDEX = "a51958bc27b54c8bbbcb2679810d82694e4429641e96a9a9f8be5c9724525380"
HOUR = 3600


@pytest.fixture
def two_tags(local_fixture) -> Path:
    """Tags latest (Docker media types) and oci sharing config and layers."""
    return local_fixture("copy-dockermt-2tags")


def prune(run_cli, root: Path, *args: str, tag: str | None = None):
    spec = f"type=local,dest={root}" + (f",tag={tag}" if tag else "")
    return run_cli("prune", "--cache-to", spec, *args)


def blob_names(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "blobs" / "sha256").iterdir())


def tags(root: Path) -> dict[str, dict]:
    index = json.loads((root / "index.json").read_bytes())
    return {
        entry["annotations"]["org.opencontainers.image.ref.name"]: entry
        for entry in index["manifests"]
    }


def age_files(root: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (stamp, stamp), follow_symlinks=False)


def assert_tag_is_whole(root: Path, name: str) -> None:
    """The tag reads as a valid cache and every blob it names is intact."""
    store = LocalStore(root)
    entry = next(entry for entry in store.list_caches() if entry.name == name)
    config = store.read_cache(entry)
    for ref in store.own_blobs(entry):
        store.verify_blob(ref.digest, ref.size)
    for layer in config.layers:
        store.verify_blob(layer.blob, layer.annotations.size)


def test_pruning_a_tag_removes_only_what_the_other_does_not_use(
    run_cli, two_tags: Path
) -> None:
    latest_before = tags(two_tags)["latest"]
    blobs_before = blob_names(two_tags)

    result = prune(run_cli, two_tags, "--grace", "0s", "--force", tag="oci")

    assert result.exit_code == 0, result.output
    assert blob_names(two_tags) == sorted(set(blobs_before) - {OCI_INDEX})
    assert tags(two_tags) == {"latest": latest_before}
    assert_tag_is_whole(two_tags, "latest")
    assert "deleted 1 cache: oci" in result.stdout
    assert "deleted 1 blob, freed 1.5 KiB" in result.stdout


def test_the_index_is_rewritten_whole_and_readable(run_cli, two_tags: Path) -> None:
    prune(run_cli, two_tags, "--grace", "0s", "-f", tag="oci")

    index = json.loads((two_tags / "index.json").read_bytes())
    assert index["schemaVersion"] == 2
    assert [entry["digest"] for entry in index["manifests"]] == [
        f"sha256:{LATEST_INDEX}"
    ]
    assert not [path for path in two_tags.iterdir() if path.name.startswith(".")]


def test_all_removes_every_tag_and_every_blob(run_cli, two_tags: Path) -> None:
    notes = two_tags / "blobs" / "sha256" / "notes.txt"
    notes.write_text("kept: not a digest")
    beside = two_tags / ("b" * 64)
    beside.write_text("outside blobs/")

    result = prune(run_cli, two_tags, "--all", "--grace", "0s", "-f", "--json")

    assert result.exit_code == 0, result.output
    assert tags(two_tags) == {}
    assert blob_names(two_tags) == ["notes.txt"]
    assert beside.exists()
    assert result.json["blobs_deleted"] == 7


def test_default_grace_of_an_hour_keeps_fresh_files(run_cli, two_tags: Path) -> None:
    age_files(two_tags, 0)

    result = prune(run_cli, two_tags, "-f", "--json", tag="oci")

    assert result.json["grace"] == "1h"
    assert result.json["blobs_kept_for_grace"] == 1
    assert OCI_INDEX in blob_names(two_tags)


def test_default_grace_lets_files_older_than_an_hour_go(
    run_cli, two_tags: Path
) -> None:
    age_files(two_tags, 2 * HOUR)

    result = prune(run_cli, two_tags, "-f", "--json", tag="oci")

    assert result.json["blobs_deleted"] == 1
    assert OCI_INDEX not in blob_names(two_tags)


def test_dry_run_changes_nothing(run_cli, two_tags: Path) -> None:
    index_before = (two_tags / "index.json").read_bytes()
    blobs_before = blob_names(two_tags)

    result = prune(run_cli, two_tags, "--grace", "0s", "--dry-run", tag="oci")

    assert result.exit_code == 0, result.output
    assert "would delete the cache oci (index.json#oci)" in result.stdout
    assert f"blobs/sha256/{OCI_INDEX} (1.5 KiB)" in result.stdout
    assert (two_tags / "index.json").read_bytes() == index_before
    assert blob_names(two_tags) == blobs_before


def test_without_a_terminal_or_force_nothing_changes(run_cli, two_tags: Path) -> None:
    index_before = (two_tags / "index.json").read_bytes()

    result = prune(run_cli, two_tags, "--grace", "0s", tag="oci")

    assert result.exit_code == 2
    assert "add --force" in result.stderr
    assert (two_tags / "index.json").read_bytes() == index_before


def test_an_unreadable_index_deletes_nothing(run_cli, two_tags: Path) -> None:
    (two_tags / "index.json").write_text('{"manifests": [')
    blobs_before = blob_names(two_tags)

    result = prune(run_cli, two_tags, "--all", "--grace", "0s", "-f")

    assert result.exit_code == 1
    assert f"{two_tags / 'index.json'} is not valid JSON" in result.stderr
    assert blob_names(two_tags) == blobs_before


def test_a_missing_index_is_named(run_cli, tmp_path: Path) -> None:
    result = prune(run_cli, tmp_path, "--grace", "0s", "-f")

    assert result.exit_code == 3
    assert f"{tmp_path} holds no cache: index.json is missing" in result.stderr


def test_a_damaged_manifest_deletes_nothing(run_cli, two_tags: Path) -> None:
    (two_tags / "blobs" / "sha256" / OCI_INDEX).write_text("{}")
    index_before = (two_tags / "index.json").read_bytes()
    blobs_before = blob_names(two_tags)

    result = prune(run_cli, two_tags, "--grace", "0s", "-f", tag="latest")

    assert result.exit_code == 1
    assert "cannot read the cache manifest of oci" in result.stderr
    assert (two_tags / "index.json").read_bytes() == index_before
    assert blob_names(two_tags) == blobs_before


def test_a_symlink_out_of_the_directory_is_never_followed(
    run_cli, two_tags: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / ("c" * 64)
    precious.write_text("not part of any cache")
    link = two_tags / "blobs" / "sha256" / ("c" * 64)
    link.symlink_to(precious)

    result = prune(run_cli, two_tags, "--all", "--grace", "0s", "-f")

    assert result.exit_code == 0, result.output
    assert precious.read_text() == "not part of any cache"
    assert link.is_symlink()


def test_a_blob_folder_linked_out_is_refused(
    run_cli, two_tags: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / ("c" * 128)
    precious.write_text("not part of any cache")
    (two_tags / "blobs" / "sha512").symlink_to(outside, target_is_directory=True)
    blobs_before = blob_names(two_tags)

    result = prune(run_cli, two_tags, "--all", "--grace", "0s", "-f")

    assert result.exit_code == 1, result.output
    assert "blobs/sha512 is a symbolic link" in result.stderr
    assert precious.read_text() == "not part of any cache"
    assert blob_names(two_tags) == blobs_before
    assert len(tags(two_tags)) == 2


def test_stale_ingest_leftovers_are_removed(run_cli, two_tags: Path) -> None:
    leftover = two_tags / "ingest" / "0123abc"
    leftover.mkdir(parents=True)
    (leftover / "data").write_bytes(b"x" * 100)
    age_files(two_tags / "ingest", 2 * HOUR)

    result = prune(run_cli, two_tags, "-f", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["uploads_aborted"] == 1
    assert result.json["upload_bytes_aborted"] == 100
    assert list((two_tags / "ingest").iterdir()) == []


def test_fresh_ingest_leftovers_stay(run_cli, two_tags: Path) -> None:
    (two_tags / "ingest" / "in-progress").mkdir(parents=True)

    result = prune(run_cli, two_tags, "-f", "--json")

    assert result.json["uploads_aborted"] == 0
    assert (two_tags / "ingest" / "in-progress").is_dir()


def test_cache_from_with_src_works_too(run_cli, two_tags: Path) -> None:
    spec = f"type=local,src={two_tags},tag=oci"

    result = run_cli("prune", "--cache-from", spec, "--grace", "0s", "-f")

    assert result.exit_code == 0, result.output
    assert set(tags(two_tags)) == {"latest"}


def test_a_tag_rewritten_after_the_plan_survives(two_tags: Path) -> None:
    store = LocalStore(two_tags)
    pruner = Pruner(
        store, Rules(names=("oci",)), grace=timedelta(0), now=datetime.now(UTC)
    )
    choice = pruner.choose()
    retag(two_tags, "oci", LATEST_INDEX)

    report = pruner.run(choice)

    assert [entry.name for entry in report.caches_changed] == ["oci"]
    assert set(tags(two_tags)) == {"latest", "oci"}
    assert_tag_is_whole(two_tags, "oci")


def retag(root: Path, name: str, hex_digest: str) -> None:
    """Point a tag at another manifest, as a new export would."""
    index = json.loads((root / "index.json").read_bytes())
    for entry in index["manifests"]:
        if entry["annotations"]["org.opencontainers.image.ref.name"] == name:
            entry["digest"] = str(parse_digest(f"sha256:{hex_digest}"))
            path = root / "blobs" / "sha256" / hex_digest
            entry["size"] = path.stat().st_size
            entry["mediaType"] = json.loads(path.read_bytes())["mediaType"]
    (root / "index.json").write_text(json.dumps(index))


def test_the_index_is_rewritten_only_under_its_lock(two_tags: Path) -> None:
    pruner = Pruner(
        LocalStore(two_tags),
        Rules(names=("oci",)),
        grace=timedelta(0),
        now=datetime.now(UTC),
    )
    choice = pruner.choose()
    index_before = (two_tags / "index.json").read_bytes()

    with (two_tags / "index.json.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        worker = threading.Thread(target=pruner.run, args=(choice,))
        worker.start()
        time.sleep(0.3)
        assert (two_tags / "index.json").read_bytes() == index_before
        fcntl.flock(lock, fcntl.LOCK_UN)

    worker.join(timeout=10)
    assert set(tags(two_tags)) == {"latest"}
