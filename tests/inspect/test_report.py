"""Building the inspect report from a store: inventory, sharing, storage, check.

The local store is the store here: it is real and needs no server.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s3cache_cli.cacheconfig import CacheConfig
from s3cache_cli.inspect.check import CORRUPT, MISSING, WRONG_SIZE, check_blobs
from s3cache_cli.inspect.report import (
    cache_report,
    layer_sharers,
    read_inventory,
    sharing,
    storage_report,
)
from s3cache_cli.stores.base import CacheEntry
from s3cache_cli.stores.local import LocalStore

S3_MANIFEST = (
    Path(__file__).parents[1] / "fixtures" / "s3" / "run-max" / "objects" / "manifests"
) / "app"
BIG_LAYER = "d783e84b8a9f5205a67b32c81aff543e2f40884777923a1ef0813be3511ef427"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry(name: str) -> CacheEntry:
    return CacheEntry(name, f"manifests/{name}", 10, datetime(2026, 1, 1, tzinfo=UTC))


def s3_config() -> CacheConfig:
    return CacheConfig.parse(S3_MANIFEST.read_bytes(), source="test")


class RecordingListener:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self.events.append(("started", blobs, total_bytes))

    def advanced(self, nbytes: int) -> None:
        self.events.append(("advanced", nbytes))

    def blob_done(self, name: str, size: int, action: str) -> None:
        self.events.append(("done", name, size, action))

    def finished(self) -> None:
        self.events.append(("finished",))


def test_inventory_reads_every_tag_in_name_order(local_fixture) -> None:
    store = LocalStore(local_fixture("copy-dockermt-2tags"))

    inventory = read_inventory(store, parallelism=2)

    assert [c.name for c in inventory.caches] == ["latest", "oci"]
    assert inventory.invalid == ()
    assert [len(c.own) for c in inventory.caches] == [2, 2]


def test_an_unreadable_tag_becomes_invalid_with_its_reason(local_fixture) -> None:
    root = local_fixture("copy-dockermt-2tags")
    index = json.loads((root / "index.json").read_text())
    oci_manifest = root / "blobs" / "sha256" / index["manifests"][1]["digest"][7:]
    oci_manifest.unlink()

    inventory = read_inventory(LocalStore(root))

    assert [c.name for c in inventory.caches] == ["latest"]
    [invalid] = inventory.invalid
    assert invalid.name == "oci"
    assert invalid.reason == f"sha256:{oci_manifest.name} is missing from {root}"


def test_select_keeps_the_order_named_and_drops_repeats(local_fixture) -> None:
    inventory = read_inventory(LocalStore(local_fixture("copy-dockermt-2tags")))

    selected = inventory.select(["oci", "latest", "oci", "nope"])

    assert [c.name for c in selected.caches] == ["oci", "latest"]
    assert inventory.missing(["oci", "nope", "nope", "gone"]) == ("nope", "gone")


def test_an_invalid_cache_is_not_missing(local_fixture) -> None:
    root = local_fixture("run-max")
    (
        root
        / "blobs"
        / "sha256"
        / json.loads((root / "index.json").read_text())["manifests"][0]["digest"][7:]
    ).unlink()

    inventory = read_inventory(LocalStore(root))

    assert inventory.missing(["latest"]) == ()
    assert [c.name for c in inventory.select(["latest"]).invalid] == ["latest"]


def test_sharing_counts_common_blobs_and_their_bytes() -> None:
    config = s3_config()
    app, alias = (
        cache_report(entry("app"), config),
        cache_report(entry("alias"), config),
    )
    other = cache_report(entry("other"), CacheConfig())

    shared = sharing(app, [app, alias, other])

    assert [(s.other, s.blobs, s.bytes) for s in shared] == [("alias", 6, 1_614_690)]
    assert layer_sharers(app.layers[0].digest, app, [app, alias, other]) == ("alias",)


def test_a_layer_without_annotations_has_no_known_size() -> None:
    document = json.loads(S3_MANIFEST.read_bytes())
    del document["layers"][4]["annotations"]
    config = CacheConfig.parse(json.dumps(document).encode(), source="test")

    report = cache_report(entry("app"), config)

    assert report.layers[4].size is None and report.layers[4].media_type is None
    assert report.total_bytes == 1_614_690 - 1_064_334


def test_a_blob_named_twice_counts_once() -> None:
    document = json.loads(S3_MANIFEST.read_bytes())
    document["layers"].append({**document["layers"][4], "parent": -1})
    config = CacheConfig.parse(json.dumps(document).encode(), source="test")

    report = cache_report(entry("app"), config)

    assert len(report.layers) == 7
    assert len(report.blobs) == 6
    assert report.total_bytes == 1_614_690


def test_storage_report_compares_stored_and_named(local_fixture) -> None:
    root = local_fixture("run-max")
    orphan = b"orphan"
    (root / "blobs" / "sha256" / sha256(orphan)[7:]).write_bytes(orphan)
    (root / "blobs" / "sha256" / BIG_LAYER).unlink()
    (root / "blobs" / "sha256" / "tmp-123").write_bytes(b"partial")
    (root / "ingest" / "a").mkdir(parents=True)
    (root / "ingest" / "b").mkdir()
    os.utime(root / "ingest" / "b", (time.time() - 60, time.time() - 60))
    store = LocalStore(root)

    storage = storage_report(store, read_inventory(store))

    assert (storage.blobs, storage.bytes) == (8, 1_619_102 - 1_064_334 + 6)
    assert (storage.unreferenced, storage.unreferenced_bytes) == (1, 6)
    assert [str(d) for d in storage.absent] == [f"sha256:{BIG_LAYER}"]
    assert storage.foreign == ("blobs/sha256/tmp-123",)
    assert [p.upload_id for p in storage.pending] == ["b", "a"], "oldest first"


def test_check_passes_and_hashes_each_blob_once(local_fixture) -> None:
    store = LocalStore(local_fixture("copy-dockermt-2tags"))
    inventory = read_inventory(store)
    listener = RecordingListener()

    report = check_blobs(
        store, inventory.caches, deep=True, parallelism=2, listener=listener
    )

    assert report.ok and report.deep
    assert (report.blobs, report.bytes) == (7, 2_004_880)
    assert listener.events[0] == ("started", 7, 2_004_880)
    assert listener.events[-1] == ("finished",)
    advanced = sum(e[1] for e in listener.events if e[0] == "advanced")
    assert advanced == 2_004_880
    assert len([e for e in listener.events if e[0] == "done"]) == 7


def test_check_kinds_of_damage(local_fixture) -> None:
    root = local_fixture("run-max")
    store = LocalStore(root)
    inventory = read_inventory(store)
    blobs = root / "blobs" / "sha256"
    (blobs / BIG_LAYER).unlink()
    grown = blobs / "f72d372cde8e68f159a2b6ba1cc0447037dc05609a4960622d4acac133f42970"
    grown.write_bytes(grown.read_bytes() + b"x")
    flipped = blobs / "19e32778fa10b65301117d8652bcad984f17af6fe5b3fb7514c6f9099a7e3108"
    flipped.write_bytes(bytes(reversed(flipped.read_bytes())))

    shallow = check_blobs(store, inventory.caches, deep=False, parallelism=2)
    deep = check_blobs(store, inventory.caches, deep=True, parallelism=2)

    kinds = {p.digest.hex: p.kind for p in deep.problems}
    assert kinds == {BIG_LAYER: MISSING, grown.name: WRONG_SIZE, flipped.name: CORRUPT}
    assert {p.digest.hex: p.kind for p in shallow.problems} == {
        BIG_LAYER: MISSING,
        grown.name: WRONG_SIZE,
    }
    wrong = next(p for p in deep.problems if p.kind == WRONG_SIZE)
    assert wrong.detail == "524646 bytes stored, the manifest says 524645"
    assert all(p.caches == ("latest",) for p in deep.problems)


def test_check_of_no_caches_checks_nothing(local_fixture) -> None:
    store = LocalStore(local_fixture("run-max"))

    report = check_blobs(store, [], deep=True, parallelism=2)

    assert (report.blobs, report.bytes, report.problems) == (0, 0, ())


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        pytest.param(
            "s3://b/manifests/x: not valid JSON", "not valid JSON", id="s3-source"
        ),
        pytest.param("manifests/x: layer 0 loops", "layer 0 loops", id="bare-key"),
        pytest.param(
            "a reason that mentions manifests/x: here",
            "a reason that mentions manifests/x: here",
            id="not-a-prefix",
        ),
    ],
)
def test_invalid_reasons_drop_the_location_the_report_shows(message, reason) -> None:
    from s3cache_cli.inspect.report import _reason

    assert _reason(message, entry("x")) == reason


def test_ages_are_never_negative() -> None:
    from s3cache_cli.inspect.result import age_seconds

    now = datetime(2026, 1, 1, tzinfo=UTC)

    assert age_seconds(now + timedelta(seconds=5), now) == 0.0
    assert age_seconds(now - timedelta(hours=2), now) == 7200.0


@pytest.mark.parametrize(
    ("media_type", "form"),
    [
        pytest.param(
            "application/vnd.oci.image.index.v1+json", "image index", id="oci-index"
        ),
        pytest.param(
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "image index",
            id="docker-list",
        ),
        pytest.param(
            "application/vnd.oci.image.manifest.v1+json",
            "image manifest",
            id="manifest",
        ),
        pytest.param("text/plain", "text/plain", id="unknown"),
        pytest.param(None, None, id="s3"),
    ],
)
def test_form_of_a_tag(media_type, form) -> None:
    from s3cache_cli.inspect.result import form_of

    assert form_of(media_type) == form
