"""The per-blob rules of an export, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from s3cache_cli.cacheconfig import CacheConfig, CacheLayer, LayerAnnotations
from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import InvalidManifest
from s3cache_cli.export.plan import Action, BlobStep, ExportPlan, blob_sizes, decide
from s3cache_cli.s3.objects import ObjectInfo

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
DIGEST = parse_digest("sha256:" + "a" * 64)
OTHER = parse_digest("sha256:" + "b" * 64)


def stored(size: int, age: timedelta) -> ObjectInfo:
    return ObjectInfo(key="k", size=size, etag='"e"', last_modified=NOW - age)


@pytest.mark.parametrize(
    ("found", "action"),
    [
        pytest.param(None, Action.UPLOAD, id="missing"),
        pytest.param(stored(100, timedelta(hours=1)), Action.PRESENT, id="fresh"),
        pytest.param(stored(100, DAY), Action.PRESENT, id="exactly-refresh-old"),
        pytest.param(stored(100, DAY + timedelta(seconds=1)), Action.TOUCH, id="stale"),
        pytest.param(stored(99, timedelta(hours=1)), Action.UPLOAD, id="wrong-size"),
        pytest.param(stored(99, 2 * DAY), Action.UPLOAD, id="stale-wrong-size"),
    ],
)
def test_what_a_blob_needs(found: ObjectInfo | None, action: Action) -> None:
    assert decide(100, found, now=NOW, touch_refresh=DAY) == action


def test_a_zero_refresh_touches_everything_that_exists() -> None:
    found = stored(1, timedelta(milliseconds=1))

    assert decide(1, found, now=NOW, touch_refresh=timedelta(0)) == Action.TOUCH


def test_a_plan_counts_blobs_and_bytes_per_action() -> None:
    plan = ExportPlan(
        (
            BlobStep(DIGEST, 10, "blobs/a", Action.UPLOAD),
            BlobStep(OTHER, 20, "blobs/b", Action.TOUCH),
        )
    )

    assert plan.count(Action.UPLOAD) == 1
    assert plan.bytes_for(Action.TOUCH) == 20
    assert plan.bytes_for(Action.PRESENT) == 0
    assert plan.total_bytes == 30
    assert [step.key for step in plan.having(Action.UPLOAD, Action.TOUCH)] == [
        "blobs/a",
        "blobs/b",
    ]


def annotated(size: int) -> LayerAnnotations:
    return LayerAnnotations(
        media_type="application/vnd.oci.image.layer.v1.tar+gzip",
        diff_id="sha256:" + "c" * 64,
        size=size,
    )


def test_blob_sizes_list_each_blob_once_in_layer_order() -> None:
    config = CacheConfig(
        layers=(
            CacheLayer(OTHER, -1, annotated(5)),
            CacheLayer(DIGEST, 0, annotated(7)),
            CacheLayer(OTHER, 1, annotated(5)),
        )
    )

    assert blob_sizes(config) == {OTHER: 5, DIGEST: 7}


def test_a_layer_without_annotations_has_no_size() -> None:
    config = CacheConfig(layers=(CacheLayer(DIGEST, -1, None),))

    with pytest.raises(InvalidManifest, match=f"layer {DIGEST} has no annotations"):
        blob_sizes(config)
