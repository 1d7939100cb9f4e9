"""`s3cache prune` against a real S3 server: what goes and what must stay."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from s3cache_cli.prune.execute import Pruner
from s3cache_cli.prune.plan import Rules
from tests.prune.seeding import FOREIGN_KEYS, cache_config


def prune(run_cli, seeded, *args: str, **attributes: str):
    return run_cli("prune", "--cache-to", seeded.spec(**attributes), *args)


def test_pruning_a_keeps_what_b_names_and_sweeps_the_orphans(
    run_cli, ab_caches
) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "--force", name="a")

    assert result.exit_code == 0, result.output
    assert ab_caches.stored() == sorted(
        ["manifests/b", *ab_caches.blob_keys("y", "z"), *FOREIGN_KEYS]
    )
    assert "deleted 1 cache: a" in result.stdout
    assert "deleted 3 blobs" in result.stdout


def test_default_grace_keeps_a_blob_written_just_now(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--force", "--json", name="a")

    assert result.exit_code == 0, result.output
    assert "manifests/a" not in ab_caches.stored()
    assert ab_caches.blob_key("orphan-1") in ab_caches.stored()
    assert ab_caches.blob_key("x") in ab_caches.stored()
    assert result.json["grace"] == "25h"
    assert result.json["blobs_deleted"] == 0
    assert result.json["blobs_kept_for_grace"] == 3


def test_touch_refresh_sets_the_default_grace(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--force", "--json", touch_refresh="90m")

    assert result.json["grace"] == "2h30m"


def test_without_rules_prune_only_sweeps(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["caches_deleted"] == []
    assert result.json["caches_kept"] == ["a", "b"]
    assert result.json["blobs_deleted"] == 2
    assert result.json["bytes_freed"] == 64 + 1000
    kept = ab_caches.blob_keys("x", "y", "z")
    assert ab_caches.stored() == sorted(
        ["manifests/a", "manifests/b", *kept, *FOREIGN_KEYS]
    )


def test_dry_run_lists_what_would_go_and_deletes_nothing(run_cli, ab_caches) -> None:
    before = ab_caches.stored()

    result = prune(run_cli, ab_caches, "--grace", "0s", "--dry-run", name="a")

    assert result.exit_code == 0, result.output
    assert ab_caches.stored() == before
    assert "would delete the cache a (manifests/a)" in result.stdout
    assert f"would delete {ab_caches.blob_key('x')} (64 B)" in result.stdout
    assert f"would delete {ab_caches.blob_key('orphan-2')} (1000 B)" in result.stdout
    assert ab_caches.blob_key("y") not in result.stdout
    assert "would delete 3 blobs, would free 1.1 KiB" in result.stdout


def test_dry_run_json_counts_what_would_go(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "--dry-run", "--json", name="a")

    document = result.json
    assert document["dry_run"] is True
    assert [cache["name"] for cache in document["caches_deleted"]] == ["a"]
    assert document["blobs_deleted"] == 3
    assert document["bytes_freed"] == 64 + 64 + 1000
    assert "manifests/a" in ab_caches.stored()


def test_without_a_terminal_or_force_nothing_is_deleted(run_cli, ab_caches) -> None:
    before = ab_caches.stored()

    result = prune(run_cli, ab_caches, "--grace", "0s", name="a")

    assert result.exit_code == 2
    assert "no terminal" in result.stderr
    assert "add --force to delete, or --dry-run" in result.stderr
    assert ab_caches.stored() == before


def test_json_reports_every_count(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", "--json", name="a")

    document = result.json
    assert document["schema_version"] == 1
    assert document["store"].startswith(f"s3://{ab_caches.bucket.name}/")
    assert [cache["name"] for cache in document["caches_deleted"]] == ["a"]
    assert document["caches_deleted"][0]["location"] == "manifests/a"
    assert document["caches_kept"] == ["b"]
    assert document["caches_changed"] == []
    assert document["blobs_listed"] == 5
    assert document["blobs_referenced"] == 2
    assert document["blobs_deleted"] == 3
    assert document["bytes_freed"] == 64 + 64 + 1000
    assert document["blobs_kept_for_grace"] == 0
    assert document["uploads_aborted"] == 0
    assert document["grace"] == "0s"


def test_an_unreadable_manifest_stops_everything(run_cli, ab_caches) -> None:
    ab_caches.bucket.put("manifests/broken", b'{"layers": [{"blob": "../etc"}]}')
    before = ab_caches.stored()

    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", name="a")

    assert result.exit_code == 1
    assert "cannot read the cache manifest of broken" in result.stderr
    assert "stopped before deleting any blob" in result.stderr
    assert ab_caches.stored() == before


def test_a_manifest_that_is_not_json_is_named(run_cli, ab_caches) -> None:
    ab_caches.bucket.put("manifests/garbled", b"\x00\x01 not json")

    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", "--all")

    assert result.exit_code == 1
    assert "garbled" in result.stderr
    assert "manifests/a" in ab_caches.stored()


def test_stale_unfinished_uploads_are_aborted(run_cli, ab_caches) -> None:
    client, name = ab_caches.bucket.client, ab_caches.bucket.name
    key = ab_caches.blob_key("never-finished")
    upload = client.create_multipart_upload(Bucket=name, Key=key)
    client.upload_part(
        Bucket=name, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"p"
    )

    kept = prune(run_cli, ab_caches, "-f", "--json")
    assert kept.json["uploads_aborted"] == 0
    assert len(ab_caches.uploads()) == 1

    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["uploads_aborted"] == 1
    assert ab_caches.uploads() == []


def test_keep_storage_deletes_the_least_recently_modified(run_cli, seeded) -> None:
    seeded.put_cache("old", "p", "shared")
    time.sleep(1.1)
    seeded.put_cache("new", "q", "shared")
    seeded.put_cache("newer", "r")
    time.sleep(0.1)

    result = prune(
        run_cli, seeded, "--keep-storage", f"{3 * 64}B", "--grace", "0s", "-f"
    )

    assert result.exit_code == 0, result.output
    assert "deleted 1 cache: old" in result.stdout
    assert seeded.stored() == sorted(
        ["manifests/new", "manifests/newer", *seeded.blob_keys("q", "shared", "r")]
    )


def test_keep_storage_already_met_deletes_no_cache(run_cli, seeded) -> None:
    seeded.put_cache("a", "x", "y")

    result = prune(run_cli, seeded, "--keep-storage", "1KiB", "-f", "--json")

    assert result.json["caches_deleted"] == []
    assert result.json["kept_bytes"] == 128


def test_filter_until_deletes_caches_not_modified_for_that_long(
    run_cli, seeded
) -> None:
    seeded.put_cache("stale", "x")
    seeded.put_cache("pr-stale", "y")
    time.sleep(3.1)
    seeded.put_cache("fresh", "z")

    result = prune(
        run_cli, seeded, "--filter", "until=3s", "--grace", "0s", "-f", "--json"
    )

    assert result.exit_code == 0, result.output
    deleted = sorted(cache["name"] for cache in result.json["caches_deleted"])
    assert deleted == ["pr-stale", "stale"]
    assert seeded.stored() == sorted(["manifests/fresh", seeded.blob_key("z")])


def test_filter_name_limits_what_all_deletes(run_cli, ab_caches) -> None:
    ab_caches.put_cache("pr-1", "w")

    result = prune(run_cli, ab_caches, "--all", "--filter", "name=pr-*", "-f", "--json")

    assert [cache["name"] for cache in result.json["caches_deleted"]] == ["pr-1"]
    assert result.json["caches_kept"] == ["a", "b"]


def test_several_names_in_the_spec_delete_each(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", name="a;b")

    assert result.exit_code == 0, result.output
    assert ab_caches.stored() == sorted(FOREIGN_KEYS)


def test_a_missing_named_cache_exits_3_after_the_rest(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", name="a;gone")

    assert result.exit_code == 3
    assert (
        f"no cache named 'gone' in s3://{ab_caches.bucket.name}/; "
        "the rest of the prune was done" in result.stderr
    )
    assert "manifests/a" not in ab_caches.stored()


def test_missing_names_are_quoted_as_inspect_quotes_them(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--dry-run", name="gone;lost")

    assert result.exit_code == 3
    assert "no caches named 'gone', 'lost' in s3://" in result.stderr


def test_ignore_error_turns_a_missing_cache_into_a_warning(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "-f", name="gone", **{"ignore-error": "true"})

    assert result.exit_code == 0
    assert "warning: no cache named 'gone'" in result.stderr


def test_a_prefix_keeps_prune_inside_it(run_cli, seeded) -> None:
    seeded.put_cache("a", "x")
    seeded.bucket.put("team1/manifests/a", cache_config([seeded.body("y")]))
    seeded.bucket.put("team1/" + seeded.blob_key("y"), seeded.body("y"))
    seeded.bucket.put("team1/" + seeded.blob_key("orphan"), seeded.body("orphan"))

    result = prune(run_cli, seeded, "--all", "--grace", "0s", "-f", prefix="team1/")

    assert result.exit_code == 0, result.output
    assert seeded.stored() == sorted(["manifests/a", seeded.blob_key("x")])


# -- caches written while prune runs ---------------------------------------


def open_pruner(seeded, rules: Rules, grace: timedelta = timedelta(0)) -> Pruner:
    from s3cache_cli.s3.client import connect
    from s3cache_cli.spec import parse_cache_spec
    from s3cache_cli.stores.s3 import S3Store

    spec = parse_cache_spec(seeded.spec(), direction="to")
    store = S3Store(connect(spec))
    return Pruner(store, rules, grace=grace, now=datetime.now(UTC))


def test_a_manifest_rewritten_after_the_plan_survives(ab_caches) -> None:
    pruner = open_pruner(ab_caches, Rules(names=("a",)))
    choice = pruner.choose()
    ab_caches.put_cache("a", "x", "w")

    report = pruner.run(choice)

    assert [entry.name for entry in report.caches_changed] == ["a"]
    assert report.caches_deleted == ()
    assert "manifests/a" in ab_caches.stored()
    assert set(ab_caches.blob_keys("x", "w", "y", "z")) <= set(ab_caches.stored())


def test_a_cache_written_during_the_prune_protects_its_blobs(ab_caches) -> None:
    pruner = open_pruner(ab_caches, Rules(names=("a",)))
    choice = pruner.choose()
    ab_caches.put_cache("c", "x", "orphan-1")

    report = pruner.run(choice)

    assert [entry.name for entry in report.caches_deleted] == ["a"]
    assert "c" in report.caches_kept
    kept = set(ab_caches.stored())
    assert set(ab_caches.blob_keys("x", "orphan-1")) <= kept
    assert ab_caches.blob_key("orphan-2") not in kept


def test_a_cache_deleted_and_written_again_is_read_again(ab_caches) -> None:
    pruner = open_pruner(ab_caches, Rules(names=("a",)))
    choice = pruner.choose()
    store = pruner.store
    original = pruner.store.delete_cache

    def delete_then_rewrite(entry):
        gone = original(entry)
        ab_caches.put_cache("a", "x")
        return gone

    store.delete_cache = delete_then_rewrite  # another export lands right after
    report = pruner.run(choice)

    assert [entry.name for entry in report.caches_deleted] == ["a"]
    assert ab_caches.blob_key("x") in ab_caches.stored()
    assert ab_caches.blob_key("orphan-1") not in ab_caches.stored()


def test_a_manifest_broken_during_the_prune_stops_the_sweep(ab_caches) -> None:
    from s3cache_cli.prune.execute import UnreadableCaches

    pruner = open_pruner(ab_caches, Rules(names=("a",)))
    choice = pruner.choose()
    ab_caches.bucket.put("manifests/b", b"{truncated")

    with pytest.raises(UnreadableCaches, match="manifest of b"):
        pruner.run(choice)

    assert ab_caches.blob_key("orphan-1") in ab_caches.stored()
    assert ab_caches.blob_key("x") in ab_caches.stored()


def test_a_cache_deleted_while_prune_reads_it_is_no_error(ab_caches) -> None:
    pruner = open_pruner(ab_caches, Rules(everything=True))
    store = pruner.store
    original = store.read_cache

    def read_after_someone_deleted(entry):
        if entry.name == "a":
            ab_caches.bucket.delete("manifests/a")
        return original(entry)

    store.read_cache = read_after_someone_deleted  # another prune got there first
    choice = pruner.choose()

    assert [cache.name for cache in choice.delete] == ["b"]


def test_keep_storage_says_when_the_filter_keeps_it_over(run_cli, ab_caches) -> None:
    result = prune(
        run_cli,
        ab_caches,
        "--keep-storage",
        "64B",
        "--filter",
        "name=nothing-*",
        "-f",
    )

    assert result.exit_code == 0, result.output
    assert "the caches kept still name 192 B, more than --keep-storage" in (
        result.stderr
    )


def test_a_missing_name_in_a_dry_run_says_nothing_was_done(run_cli, ab_caches) -> None:
    before = ab_caches.stored()

    result = prune(run_cli, ab_caches, "--dry-run", name="a;gone")

    assert result.exit_code == 3
    assert (
        f"no cache named 'gone' in s3://{ab_caches.bucket.name}/; "
        "the rest of the prune was planned (--dry-run)" in result.stderr
    )
    assert "was done" not in result.stderr
    assert "hint: caches there now: a, b" in result.stderr
    assert ab_caches.stored() == before


def test_a_missing_name_after_a_real_run_lists_what_is_left(run_cli, ab_caches) -> None:
    result = prune(run_cli, ab_caches, "--grace", "0s", "-f", name="a;gone")

    assert result.exit_code == 3
    assert "hint: caches there now: b" in result.stderr
