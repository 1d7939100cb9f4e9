"""The words and numbers a prune reports, for people and for --json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from s3cache_cli.prune.execute import PruneReport
from s3cache_cli.prune.plan import SweepSummary
from s3cache_cli.prune.summary import SHOWN_NAMES, report_document, report_lines
from s3cache_cli.stores.base import CacheEntry

WHEN = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def report(**changes) -> PruneReport:
    fields = {
        "dry_run": False,
        "caches_deleted": (CacheEntry("a", "manifests/a", 10, WHEN),),
        "caches_changed": (),
        "caches_kept": ("b",),
        "missing": (),
        "kept_bytes": 2048,
        "over_limit": False,
        "sweep": SweepSummary(
            listed=6,
            referenced=2,
            deleted=3,
            deleted_bytes=1536,
            grace=1,
            grace_bytes=5,
        ),
        "uploads_aborted": 0,
        "upload_bytes": 0,
    }
    return PruneReport(**{**fields, **changes})


def test_a_run_says_what_went_in_the_past_tense() -> None:
    assert report_lines(report(), grace=timedelta(hours=25)) == [
        "deleted 1 cache: a",
        "kept 1 cache: b",
        "deleted 3 blobs, freed 1.5 KiB",
        "kept 1 blob (5 B) that no cache names, modified within the 25h grace period",
    ]


def test_a_dry_run_says_what_would_go() -> None:
    lines = report_lines(
        report(dry_run=True, uploads_aborted=2), grace=timedelta(minutes=90)
    )

    assert lines[0] == "would delete 1 cache: a"
    assert lines[1] == "would keep 1 cache: b"
    assert lines[2] == "would delete 3 blobs, would free 1.5 KiB"
    assert lines[3].startswith("would keep 1 blob (5 B) that no cache names")
    assert "1h30m grace period" in lines[3]
    assert lines[4] == "would abort 2 unfinished uploads"


@pytest.mark.parametrize(
    ("kept", "line"),
    [
        pytest.param((), "kept 0 caches", id="none"),
        pytest.param(("b", "c"), "kept 2 caches: b, c", id="several"),
        pytest.param(
            tuple(f"c{i}" for i in range(SHOWN_NAMES + 3)),
            "and 3 more",
            id="many-are-cut",
        ),
    ],
)
def test_kept_caches_are_named_and_counted(kept: tuple[str, ...], line: str) -> None:
    lines = report_lines(report(caches_kept=kept), grace=timedelta(0))

    assert line in lines[1]


def test_no_grace_line_when_grace_kept_nothing() -> None:
    quiet = report(caches_deleted=(), sweep=SweepSummary(listed=1, referenced=1))

    lines = report_lines(quiet, grace=timedelta(hours=1))

    assert lines == [
        "deleted 0 caches",
        "kept 1 cache: b",
        "deleted 0 blobs, freed 0 B",
    ]


def test_the_json_document_has_counts_not_blob_lists() -> None:
    document = report_document(
        report(missing=("gone",), uploads_aborted=1, upload_bytes=7),
        store="s3://bucket/team1/",
        grace=timedelta(hours=25),
        keep_storage=10**9,
    )

    assert document == {
        "store": "s3://bucket/team1/",
        "dry_run": False,
        "grace": "25h",
        "keep_storage": 10**9,
        "caches_deleted": [
            {
                "name": "a",
                "location": "manifests/a",
                "modified": "2026-12-04T12:00:00+00:00",
            }
        ],
        "caches_changed": [],
        "caches_kept": ["b"],
        "caches_missing": ["gone"],
        "kept_bytes": 2048,
        "over_keep_storage": False,
        "blobs_listed": 6,
        "blobs_referenced": 2,
        "blobs_deleted": 3,
        "bytes_freed": 1536,
        "blobs_kept_for_grace": 1,
        "bytes_kept_for_grace": 5,
        "uploads_aborted": 1,
        "upload_bytes_aborted": 7,
    }
