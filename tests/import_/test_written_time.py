"""The time s3cache records on each index.json entry it writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from s3cache_cli.oci import mediatypes as mt
from s3cache_cli.oci.layout import WRITTEN_ANNOTATION, format_written, parse_written
from s3cache_cli.oci.writer import Blob, update_index, with_tag


def test_the_entry_records_when_the_tag_was_written(tmp_path: Path) -> None:
    before = datetime.now(UTC)

    update_index(tmp_path, Blob(mt.OCI_INDEX, b"{}"), "latest")

    (entry,) = json.loads((tmp_path / "index.json").read_bytes())["manifests"]
    written = parse_written(entry["annotations"][WRITTEN_ANNOTATION])
    assert written is not None
    assert before - timedelta(milliseconds=1) <= written <= datetime.now(UTC)


def test_a_rewritten_tag_gets_a_new_time_and_the_others_keep_theirs() -> None:
    old = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    index = with_tag(None, Blob(mt.OCI_INDEX, b"{}"), "a", written=old)
    index = with_tag(index, Blob(mt.OCI_INDEX, b"[]"), "b", written=old)

    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    document = with_tag(index, Blob(mt.OCI_INDEX, b"{}"), "b", written=now)

    times = [e["annotations"][WRITTEN_ANNOTATION] for e in document["manifests"]]
    assert times == ["2020-01-02T03:04:05.000000Z", "2026-01-02T03:04:05.678000Z"]


def test_without_a_time_the_entry_is_as_buildkit_writes_it() -> None:
    document = with_tag(None, Blob(mt.OCI_INDEX, b"{}"), "latest")

    assert document["manifests"][0]["annotations"] == {mt.REF_NAME_ANNOTATION: "latest"}


def test_a_written_time_reads_back_as_the_same_moment() -> None:
    moment = datetime(2026, 12, 4, 17, 6, 44, 172243, tzinfo=UTC)

    text = format_written(moment.astimezone(timezone(timedelta(hours=2))))

    assert text == "2026-12-04T17:06:44.172243Z"
    assert parse_written(text) == moment
