"""The local OCI layout store, on copies of BuildKit's own local caches."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import (
    CacheNotFound,
    IntegrityError,
    InvalidManifest,
    OperationFailed,
)
from s3cache_cli.oci.mediatypes import (
    CACHE_CONFIG,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
)
from s3cache_cli.stores.base import BlobDeleteError, BlobEntry, PendingUpload
from s3cache_cli.stores.local import LocalStore


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry_named(store: LocalStore, name: str):
    return next(e for e in store.list_caches() if e.name == name)


def blob_file_sizes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "blobs" / "sha256").iterdir())


@pytest.mark.parametrize(
    ("fixture", "tags"),
    [
        pytest.param("run-max", {"latest": OCI_INDEX}, id="index"),
        pytest.param("run-max-v0.32", {"latest": OCI_MANIFEST}, id="manifest"),
        pytest.param(
            "copy-dockermt-2tags",
            {"latest": DOCKER_MANIFEST_LIST, "oci": OCI_INDEX},
            id="docker-and-oci",
        ),
    ],
)
def test_each_tag_is_a_cache_with_its_form(local_fixture, fixture, tags) -> None:
    store = LocalStore(local_fixture(fixture))

    entries = list(store.list_caches())

    assert {e.name: e.media_type for e in entries} == tags
    assert {e.location for e in entries} == {f"index.json#{tag}" for tag in tags}
    assert all(e.etag.startswith("sha256:") for e in entries)


@pytest.mark.parametrize("fixture", ["run-max", "run-max-v0.32", "copy-dockermt-2tags"])
def test_every_tag_reads_as_a_config_with_sizes(local_fixture, fixture) -> None:
    store = LocalStore(local_fixture(fixture))

    for entry in store.list_caches():
        config = store.read_cache(entry)
        own = store.own_blobs(entry)

        assert all(layer.annotations.size > 0 for layer in config.layers)
        assert [blob.media_type for blob in own][1] == CACHE_CONFIG
        assert own[0].digest == parse_digest(entry.etag)


def test_own_blobs_and_layers_cover_every_file(local_fixture) -> None:
    root = local_fixture("run-max")
    store = LocalStore(root)
    entry = entry_named(store, "latest")

    layers = set(store.read_cache(entry).blob_digests())
    own = {blob.digest for blob in store.own_blobs(entry)}

    assert {str(d) for d in layers | own} == {
        f"sha256:{p.name}" for p in (root / "blobs" / "sha256").iterdir()
    }


def test_blob_listing_and_foreign_files(local_fixture) -> None:
    root = local_fixture("run-max")
    (root / "blobs" / "sha256" / "notes.txt").write_text("mine")
    (root / "blobs" / "md5").mkdir()
    store = LocalStore(root)

    blobs = list(store.iter_blobs())

    assert len(blobs) == 8
    assert sum(blob.size for blob in blobs) == 1_619_102
    assert sorted(store.iter_foreign()) == ["blobs/md5", "blobs/sha256/notes.txt"]


def test_a_symlinked_blob_is_not_a_blob(local_fixture, tmp_path) -> None:
    root = local_fixture("run-max")
    outside = tmp_path / "outside"
    outside.write_bytes(b"data")
    link = root / "blobs" / "sha256" / sha256(b"data").split(":")[1]
    link.symlink_to(outside)
    store = LocalStore(root)

    assert len(list(store.iter_blobs())) == 8
    assert store.head_blob(parse_digest(sha256(b"data"))) is None
    assert f"blobs/sha256/{link.name}" in list(store.iter_foreign())


def test_verify_blob_catches_a_corrupted_file(local_fixture) -> None:
    root = local_fixture("run-max")
    store = LocalStore(root)
    blob = max(store.iter_blobs(), key=lambda b: b.size)
    data = bytearray(Path(blob.location).read_bytes())
    data[100] ^= 0xFF
    Path(blob.location).write_bytes(bytes(data))
    seen: list[int] = []

    with pytest.raises(IntegrityError, match="hashes to"):
        store.verify_blob(blob.digest, blob.size, on_bytes=seen.append)

    assert sum(seen) == blob.size


def test_a_manifest_blob_that_does_not_match_its_digest_is_invalid(local_fixture):
    root = local_fixture("run-max")
    store = LocalStore(root)
    entry = entry_named(store, "latest")
    manifest = root / "blobs" / "sha256" / entry.etag.split(":")[1]
    manifest.write_bytes(manifest.read_bytes().replace(b"gzip", b"gzap"))

    with pytest.raises(InvalidManifest, match=r"index\.json#latest: .*hashes to"):
        store.read_cache(entry)


def test_a_missing_config_blob_is_invalid(local_fixture) -> None:
    root = local_fixture("run-max-v0.32")
    store = LocalStore(root)
    entry = entry_named(store, "latest")
    config = store.own_blobs(entry)[1]
    (root / "blobs" / "sha256" / config.digest.hex).unlink()

    with pytest.raises(InvalidManifest, match="is missing"):
        LocalStore(root).read_cache(entry)


def test_an_unreadable_index_json_fails_naming_it(tmp_path) -> None:
    (tmp_path / "index.json").write_text("{not json")

    with pytest.raises(InvalidManifest, match=r"index\.json is not valid JSON"):
        list(LocalStore(tmp_path).list_caches())


def test_a_directory_without_index_json_holds_no_cache(tmp_path) -> None:
    with pytest.raises(CacheNotFound, match=r"index\.json is missing") as raised:
        list(LocalStore(tmp_path).list_caches())

    assert "--cache-to type=local" in raised.value.hint


def test_delete_cache_removes_one_tag_and_keeps_the_others(local_fixture) -> None:
    root = local_fixture("copy-dockermt-2tags")
    store = LocalStore(root)
    before = json.loads((root / "index.json").read_text())

    assert store.delete_cache(entry_named(store, "oci")) is True

    after = json.loads((root / "index.json").read_text())
    assert after["manifests"] == before["manifests"][:1]
    assert after["schemaVersion"] == 2


def test_delete_cache_keeps_a_tag_rewritten_since_listing(local_fixture) -> None:
    root = local_fixture("copy-dockermt-2tags")
    store = LocalStore(root)
    entry = entry_named(store, "oci")
    index = json.loads((root / "index.json").read_text())
    index["manifests"][1]["digest"] = sha256(b"rewritten")
    (root / "index.json").write_text(json.dumps(index))

    assert store.delete_cache(entry) is False
    assert json.loads((root / "index.json").read_text()) == index


def test_delete_cache_waits_for_the_index_lock(local_fixture) -> None:
    import fcntl

    root = local_fixture("copy-dockermt-2tags")
    store = LocalStore(root)
    entry = entry_named(store, "oci")
    done = threading.Event()

    with (root / "index.json.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(
            target=lambda: (store.delete_cache(entry), done.set())
        )
        worker.start()
        time.sleep(0.3)
        assert not done.is_set(), "deleted while another writer held the lock"
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(5)

    assert done.is_set()
    assert [e.name for e in store.list_caches()] == ["latest"]


def test_delete_blobs_deletes_only_digest_files_inside_the_directory(
    local_fixture, tmp_path
) -> None:
    root = local_fixture("run-max")
    store = LocalStore(root)
    blob = next(iter(store.iter_blobs()))
    outside = tmp_path / "precious"
    outside.write_bytes(b"keep")
    forged = BlobEntry(blob.digest, str(outside), 4, blob.modified)

    with pytest.raises(BlobDeleteError) as raised:
        store.delete_blobs([blob, forged])

    assert raised.value.deleted == 1
    assert raised.value.failures == (
        (str(outside), f"not the file of {blob.digest} in {root}"),
    )
    assert outside.read_bytes() == b"keep"
    assert not Path(blob.location).exists()


def test_ingest_leftovers_are_pending_uploads(local_fixture) -> None:
    root = local_fixture("run-max")
    leftover = root / "ingest" / "3f1c"
    leftover.mkdir(parents=True)
    (leftover / "data").write_bytes(b"x" * 300)
    (leftover / "ref").write_text("layer-sha256:abc")
    old = time.time() - 7200
    os.utime(leftover, (old, old))
    store = LocalStore(root)

    pending = list(store.pending_uploads())

    assert [(p.upload_id, p.size) for p in pending] == [("3f1c", 300 + 16)]
    assert time.time() - pending[0].started.timestamp() > 7000
    store.abort_upload(pending[0])
    assert list(store.pending_uploads()) == []
    assert (root / "ingest").is_dir()


def test_abort_upload_refuses_a_path_outside_ingest(local_fixture, tmp_path) -> None:
    store = LocalStore(local_fixture("run-max"))
    victim = tmp_path / "victim"
    victim.mkdir()
    forged = PendingUpload(str(victim), "victim", started=None)  # type: ignore[arg-type]

    with pytest.raises(OperationFailed, match="not an ingest leftover"):
        store.abort_upload(forged)

    assert victim.is_dir()
