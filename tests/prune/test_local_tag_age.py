"""How old a local tag is: never older than its last write.

Writing a tag whose manifest blob already exists (BuildKit exporting an
unchanged cache again, or s3cache importing one) leaves the blob's file time
alone, so the age of a tag cannot be the age of its manifest blob.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s3cache_cli.oci.layout import WRITTEN_ANNOTATION, parse_written
from s3cache_cli.stores.local import LocalStore

DAY = 24 * 3600


@pytest.fixture
def import_into(run_cli, buildkit_s3_bucket):
    """``s3cache import`` of BuildKit's cache 'app' into ``root`` as ``tag``."""

    def run(root: Path, tag: str = "latest"):
        spec = buildkit_s3_bucket.spec(name="app")
        target = f"type=local,dest={root},tag={tag}"
        result = run_cli("import", "--cache-to", target, "--cache-from", spec)
        assert result.exit_code == 0, result.output
        return result

    return run


def age_everything(root: Path, seconds: float) -> None:
    """What ``touch -d '10 days ago' blobs/sha256/* index.json`` does."""
    stamp = time.time() - seconds
    for path in [*(root / "blobs" / "sha256").iterdir(), root / "index.json"]:
        os.utime(path, (stamp, stamp))


def index_entries(root: Path) -> dict[str, dict]:
    entries = json.loads((root / "index.json").read_bytes())["manifests"]
    return {e["annotations"]["org.opencontainers.image.ref.name"]: e for e in entries}


def ages(run_cli, root: Path) -> dict[str, float]:
    result = run_cli("inspect", "--json", "--cache-from", f"type=local,src={root}")
    assert result.exit_code == 0, result.output
    return {cache["name"]: cache["age_seconds"] for cache in result.json["caches"]}


def set_written(root: Path, tag: str, value: str | None) -> None:
    """Rewrite one entry's recorded time (None: as BuildKit writes entries)."""
    index = json.loads((root / "index.json").read_bytes())
    for entry in index["manifests"]:
        annotations = entry["annotations"]
        if annotations["org.opencontainers.image.ref.name"] != tag:
            continue
        annotations.pop(WRITTEN_ANNOTATION, None)
        if value is not None:
            annotations[WRITTEN_ANNOTATION] = value
    (root / "index.json").write_text(json.dumps(index))


def written_days_ago(root: Path, days: int, *tags: str) -> None:
    """Make the tags and every file look written ``days`` ago."""
    then = _iso(datetime.now(UTC) - timedelta(days=days))
    for tag in tags:
        set_written(root, tag, then)
    age_everything(root, days * DAY)


def prune_until(run_cli, root: Path, until: str = "24h"):
    spec = f"type=local,dest={root}"
    return run_cli("prune", "--force", "--filter", f"until={until}", "--cache-to", spec)


def test_tags_written_moments_ago_over_old_files_are_not_pruned(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root)
    age_everything(root, 10 * DAY)
    import_into(root, tag="fresh")
    blobs_before = sorted((root / "blobs" / "sha256").iterdir())

    result = prune_until(run_cli, root)

    assert result.exit_code == 0, result.output
    assert sorted(index_entries(root)) == ["fresh", "latest"]
    assert sorted((root / "blobs" / "sha256").iterdir()) == blobs_before
    assert "deleted 0 caches" in result.stdout


def test_a_tag_written_today_over_old_blobs_survives_an_age_filter(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root)
    written_days_ago(root, 10, "latest")
    import_into(root, tag="fresh")

    result = prune_until(run_cli, root)

    assert result.exit_code == 0, result.output
    assert sorted(index_entries(root)) == ["fresh"]
    assert "deleted 1 cache: latest" in result.stdout
    assert LocalStore(root).read_cache(_entry(root, "fresh")).layers


def test_inspect_shows_a_rewritten_tag_as_young(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root)
    written_days_ago(root, 10, "latest")
    import_into(root, tag="fresh")

    shown = ages(run_cli, root)

    assert shown["fresh"] < 60
    assert shown["latest"] == pytest.approx(10 * DAY, abs=60)


def test_importing_the_same_tag_again_makes_it_young(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root)
    written_days_ago(root, 10, "latest")

    import_into(root)

    assert ages(run_cli, root)["latest"] < 60


def test_import_records_when_it_wrote_the_tag(import_into, tmp_path: Path) -> None:
    before = datetime.now(UTC)

    import_into(tmp_path / "cache")

    annotations = index_entries(tmp_path / "cache")["latest"]["annotations"]
    written = parse_written(annotations[WRITTEN_ANNOTATION])
    assert written is not None
    assert before - timedelta(seconds=1) <= written <= datetime.now(UTC)
    assert annotations[WRITTEN_ANNOTATION].endswith("Z")


def test_keep_storage_deletes_the_tag_written_longest_ago(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root, tag="first")
    written_days_ago(root, 10, "first")
    import_into(root, tag="second")
    set_written(root, "first", _iso(datetime.now(UTC) - timedelta(hours=1)))
    set_written(root, "second", _iso(datetime.now(UTC) - timedelta(hours=2)))

    result = run_cli(
        "prune",
        "--force",
        "--keep-storage",
        "1",
        "--cache-to",
        f"type=local,dest={root}",
    )

    assert result.exit_code == 0, result.output
    assert "deleted 2 caches: second, first" in result.stdout


# An entry BuildKit wrote records no time: the newer of its manifest blob and
# index.json decides, so an unknown age errs young.


def test_an_entry_without_a_recorded_time_is_as_young_as_index_json(
    run_cli, local_fixture
) -> None:
    root = local_fixture("copy-dockermt-2tags")
    age_everything(root, 10 * DAY)
    os.utime(root / "index.json")  # BuildKit wrote a tag again just now

    shown = ages(run_cli, root)

    assert shown == {
        "latest": pytest.approx(0, abs=60),
        "oci": pytest.approx(0, abs=60),
    }


def test_an_untouched_buildkit_directory_ages_with_its_files(
    run_cli, local_fixture
) -> None:
    root = local_fixture("copy-dockermt-2tags")
    age_everything(root, 10 * DAY)

    result = prune_until(run_cli, root)

    assert result.exit_code == 0, result.output
    assert index_entries(root) == {}


def test_a_manifest_blob_newer_than_index_json_counts(run_cli, local_fixture) -> None:
    root = local_fixture("run-max")
    age_everything(root, 10 * DAY)
    manifest = root / "blobs" / "sha256" / _digest_hex(root, "latest")
    os.utime(manifest, (time.time() - DAY, time.time() - DAY))

    assert ages(run_cli, root)["latest"] == pytest.approx(DAY, abs=60)


@pytest.mark.parametrize(
    "recorded",
    [
        pytest.param("not a time", id="not-a-time"),
        pytest.param("2020-01-01", id="date-without-time"),
        pytest.param("2020-01-01T00:00:00", id="no-time-zone"),
        pytest.param("", id="empty"),
    ],
)
def test_a_recorded_time_that_cannot_be_read_errs_young(
    run_cli, import_into, tmp_path: Path, recorded: str
) -> None:
    root = tmp_path / "age"
    import_into(root)
    set_written(root, "latest", recorded)
    age_everything(root, 10 * DAY)
    os.utime(root / "index.json")

    assert ages(run_cli, root)["latest"] < 60


def test_a_recorded_time_older_than_the_manifest_blob_is_not_believed(
    run_cli, import_into, tmp_path: Path
) -> None:
    root = tmp_path / "age"
    import_into(root)
    set_written(root, "latest", "2001-01-01T00:00:00Z")
    age_everything(root, 2 * DAY)

    assert ages(run_cli, root)["latest"] == pytest.approx(2 * DAY, abs=60)


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        pytest.param("2026-12-04T15:06:44Z", "2026-12-04T15:06:44+00:00", id="utc"),
        pytest.param(
            "2026-12-04T15:06:44.172243155Z",
            "2026-12-04T15:06:44.172243+00:00",
            id="nanoseconds",
        ),
        pytest.param(
            "2026-12-04T17:06:44+02:00", "2026-12-04T17:06:44+02:00", id="offset"
        ),
        pytest.param("2026-12-04", None, id="date-only"),
        pytest.param("2026-12-04T15:06:44", None, id="no-zone"),
        pytest.param("yesterday", None, id="words"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_recorded_times_are_read_as_rfc_3339(
    recorded: str | None, expected: str | None
) -> None:
    parsed = parse_written(recorded)

    assert (parsed.isoformat() if parsed else None) == expected


def _entry(root: Path, name: str):
    return next(e for e in LocalStore(root).list_caches() if e.name == name)


def _digest_hex(root: Path, tag: str) -> str:
    return index_entries(root)[tag]["digest"].removeprefix("sha256:")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
