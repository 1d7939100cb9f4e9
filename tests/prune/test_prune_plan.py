"""The planner alone: caches, rules and a blob stream in, decisions out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from s3cache_cli.digest import Digest
from s3cache_cli.prune.filters import Filters
from s3cache_cli.prune.plan import (
    BlobBook,
    CacheRefs,
    Rules,
    Verdict,
    blob_key,
    choose_caches,
    compare_listing,
    judge,
    plan_prune,
    plan_sweep,
    referenced_keys,
    stale_uploads,
)
from s3cache_cli.stores.base import BlobEntry, CacheEntry, PendingUpload

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def digest(label: str, algorithm: str = "sha256") -> Digest:
    return Digest(algorithm, hashlib.new(algorithm, label.encode()).hexdigest())


def cache(name: str, *, age: timedelta = HOUR, etag: str = "e1") -> CacheEntry:
    return CacheEntry(
        name=name,
        location=f"manifests/{name}",
        size=100,
        modified=NOW - age,
        etag=etag,
    )


def blob(label: str, *, age: timedelta = 48 * HOUR, size: int = 10) -> BlobEntry:
    named = digest(label)
    return BlobEntry(named, f"blobs/{named}", size, NOW - age)


def read(book: BlobBook, name: str, *labels: str, age: timedelta = HOUR, **sizes):
    named = [(digest(label), sizes.get(label, 10)) for label in labels]
    return book.refs(cache(name, age=age), named)


def chosen(rules: Rules, *caches: CacheRefs, book: BlobBook) -> tuple[list, list]:
    choice = choose_caches(caches, rules, now=NOW, sizes=book.sizes)
    return [c.name for c in choice.delete], [c.name for c in choice.keep]


# -- which caches go ------------------------------------------------------


@pytest.fixture
def book() -> BlobBook:
    return BlobBook()


def test_without_rules_no_cache_is_deleted(book: BlobBook) -> None:
    a = read(book, "a", "x", age=1000 * HOUR)

    assert chosen(Rules(), a, book=book) == ([], ["a"])
    assert not Rules().selects_caches


def test_explicit_names_delete_exactly_those(book: BlobBook) -> None:
    caches = [read(book, name, "x") for name in ("a", "b", "c")]

    assert chosen(Rules(names=("a", "c")), *caches, book=book) == (
        ["a", "c"],
        ["b"],
    )


def test_explicit_names_that_do_not_exist_are_reported(book: BlobBook) -> None:
    a = read(book, "a", "x")

    choice = choose_caches([a], Rules(names=("a", "gone")), now=NOW, sizes={})

    assert choice.missing == ("gone",)
    assert [c.name for c in choice.delete] == ["a"]


def test_all_deletes_every_cache(book: BlobBook) -> None:
    caches = [read(book, name, "x") for name in ("a", "b")]

    assert chosen(Rules(everything=True), *caches, book=book) == (["a", "b"], [])


def test_until_deletes_caches_not_modified_for_that_long(book: BlobBook) -> None:
    old = read(book, "old", "x", age=30 * HOUR)
    exact = read(book, "exact", "x", age=24 * HOUR)
    fresh = read(book, "fresh", "x", age=23 * HOUR)
    rules = Rules(filters=Filters(until=24 * HOUR))

    assert chosen(rules, old, exact, fresh, book=book) == (
        ["old", "exact"],
        ["fresh"],
    )


def test_name_glob_narrows_until(book: BlobBook) -> None:
    pr = read(book, "pr-1", "x", age=30 * HOUR)
    main = read(book, "main", "x", age=30 * HOUR)
    rules = Rules(filters=Filters(until=HOUR, name_globs=("pr-*",)))

    assert chosen(rules, pr, main, book=book) == (["pr-1"], ["main"])


def test_name_glob_narrows_all(book: BlobBook) -> None:
    pr = read(book, "pr-1", "x")
    main = read(book, "main", "x")
    rules = Rules(everything=True, filters=Filters(name_globs=("pr-*",)))

    assert chosen(rules, pr, main, book=book) == (["pr-1"], ["main"])


def test_name_glob_alone_deletes_nothing(book: BlobBook) -> None:
    pr = read(book, "pr-1", "x", age=1000 * HOUR)
    rules = Rules(filters=Filters(name_globs=("pr-*",)))

    assert chosen(rules, pr, book=book) == ([], ["pr-1"])
    assert not rules.selects_caches


def test_until_narrows_explicit_names(book: BlobBook) -> None:
    old = read(book, "old", "x", age=30 * HOUR)
    fresh = read(book, "fresh", "x", age=HOUR)
    rules = Rules(names=("old", "fresh"), filters=Filters(until=24 * HOUR))

    assert chosen(rules, old, fresh, book=book) == (["old"], ["fresh"])


# -- --keep-storage -------------------------------------------------------


def test_keep_storage_deletes_oldest_until_the_rest_fits(book: BlobBook) -> None:
    oldest = read(book, "oldest", "p", age=9 * HOUR, p=100)
    middle = read(book, "middle", "q", age=5 * HOUR, q=100)
    newest = read(book, "newest", "r", age=1 * HOUR, r=100)

    choice = choose_caches(
        [newest, oldest, middle], Rules(keep_storage=150), now=NOW, sizes=book.sizes
    )

    assert [c.name for c in choice.delete] == ["oldest", "middle"]
    assert choice.kept_bytes == 100
    assert not choice.over_limit


def test_keep_storage_counts_a_shared_blob_once(book: BlobBook) -> None:
    a = read(book, "a", "shared", "x", age=9 * HOUR, shared=100, x=10)
    b = read(book, "b", "shared", "y", age=1 * HOUR, shared=100, y=10)

    assert chosen(Rules(keep_storage=120), a, b, book=book) == ([], ["a", "b"])
    assert chosen(Rules(keep_storage=119), a, b, book=book) == (["a"], ["b"])


def test_keep_storage_already_met_deletes_nothing(book: BlobBook) -> None:
    a = read(book, "a", "x", age=9 * HOUR, x=100)

    assert chosen(Rules(keep_storage=100), a, book=book) == ([], ["a"])


def test_keep_storage_deletes_only_candidates(book: BlobBook) -> None:
    main = read(book, "main", "m", age=90 * HOUR, m=100)
    pr = read(book, "pr-1", "p", age=1 * HOUR, p=100)
    rules = Rules(keep_storage=50, filters=Filters(name_globs=("pr-*",)))

    choice = choose_caches([main, pr], rules, now=NOW, sizes=book.sizes)

    assert [c.name for c in choice.delete] == ["pr-1"]
    assert choice.over_limit
    assert choice.kept_bytes == 100


def test_keep_storage_applies_after_until(book: BlobBook) -> None:
    stale = read(book, "stale", "s", age=50 * HOUR, s=100)
    older = read(book, "older", "o", age=5 * HOUR, o=100)
    newer = read(book, "newer", "n", age=1 * HOUR, n=100)
    rules = Rules(keep_storage=100, filters=Filters(until=24 * HOUR))

    assert chosen(rules, stale, older, newer, book=book) == (
        ["stale", "older"],
        ["newer"],
    )


def test_keep_storage_ties_break_by_name(book: BlobBook) -> None:
    b = read(book, "b", "y", age=HOUR, y=100)
    a = read(book, "a", "x", age=HOUR, x=100)

    assert chosen(Rules(keep_storage=100), b, a, book=book) == (["a"], ["b"])


# -- the sweep ------------------------------------------------------------


def test_blob_keys_are_raw_digest_bytes() -> None:
    assert blob_key(digest("x")) == hashlib.sha256(b"x").digest()
    assert len(blob_key(digest("x", "sha512"))) == 64


def test_shared_digests_are_stored_once(book: BlobBook) -> None:
    a = read(book, "a", "x", "y")
    b = read(book, "b", "y", "x")

    assert a.blobs[0] is b.blobs[1]
    assert a.blobs[1] is b.blobs[0]


def test_a_cache_naming_a_blob_twice_keeps_one_key(book: BlobBook) -> None:
    a = read(book, "a", "x", "x", "y")

    assert len(a.blobs) == 2


@pytest.mark.parametrize(
    ("label", "age", "verdict"),
    [
        pytest.param("x", 100 * HOUR, Verdict.REFERENCED, id="named-old"),
        pytest.param("x", timedelta(0), Verdict.REFERENCED, id="named-new"),
        pytest.param("orphan", 26 * HOUR, Verdict.DELETE, id="orphan-old"),
        pytest.param("orphan", 25 * HOUR, Verdict.DELETE, id="orphan-at-grace"),
        pytest.param("orphan", 24 * HOUR, Verdict.GRACE, id="orphan-young"),
        pytest.param("orphan", -HOUR, Verdict.GRACE, id="orphan-clock-skew"),
    ],
)
def test_blobs_are_judged_by_reference_then_age(
    label: str, age: timedelta, verdict: Verdict
) -> None:
    referenced = {blob_key(digest("x"))}

    found = judge(blob(label, age=age), referenced=referenced, cutoff=NOW - 25 * HOUR)

    assert found is verdict


def test_sweep_deletes_unreferenced_old_blobs_and_counts_the_rest() -> None:
    listing = [
        blob("x", size=1),
        blob("y", size=2),
        blob("old-orphan", size=30),
        blob("new-orphan", size=400, age=HOUR),
    ]
    gone: list[BlobEntry] = []

    summary = plan_sweep(
        iter(listing),
        referenced={blob_key(digest("x")), blob_key(digest("y"))},
        cutoff=NOW - 25 * HOUR,
        on_delete=gone.append,
    )

    assert gone == [listing[2]]
    assert (summary.listed, summary.referenced) == (4, 2)
    assert (summary.deleted, summary.deleted_bytes) == (1, 30)
    assert (summary.grace, summary.grace_bytes) == (1, 400)


def test_sweep_tells_sha512_from_sha256() -> None:
    long = digest("x", "sha512")
    listing = [BlobEntry(long, f"blobs/{long}", 5, NOW - 100 * HOUR)]

    summary = plan_sweep(listing, referenced={blob_key(digest("x"))}, cutoff=NOW - HOUR)

    assert summary.deleted == 1


def test_stale_uploads_are_those_started_before_the_cutoff() -> None:
    old = PendingUpload("blobs/a", "u1", NOW - 30 * HOUR)
    new = PendingUpload("blobs/b", "u2", NOW - HOUR)

    assert list(stale_uploads([old, new], cutoff=NOW - 25 * HOUR)) == [old]


# -- re-reading before the sweep ------------------------------------------


def test_a_fresh_listing_reuses_unchanged_caches_and_rereads_the_rest(
    book: BlobBook,
) -> None:
    same = read(book, "same", "x")
    changed = read(book, "changed", "y")
    known = {"same": same, "changed": changed}
    listing = [
        cache("same"),
        cache("changed", etag="e2"),
        cache("new"),
    ]

    refresh = compare_listing(listing, known)

    assert refresh.unchanged == (same,)
    assert [entry.name for entry in refresh.to_read] == ["changed", "new"]


def test_a_cache_recreated_after_its_delete_is_read_again(book: BlobBook) -> None:
    refresh = compare_listing([cache("a")], known={})

    assert [entry.name for entry in refresh.to_read] == ["a"]


def test_without_etags_size_and_time_tell_a_change(book: BlobBook) -> None:
    before = book.refs(
        CacheEntry("a", "index.json#a", 10, NOW - HOUR), [(digest("x"), 1)]
    )
    touched = CacheEntry("a", "index.json#a", 10, NOW)

    assert compare_listing([before.entry], {"a": before}).unchanged == (before,)
    assert compare_listing([touched], {"a": before}).to_read == (touched,)


# -- the whole plan -------------------------------------------------------


def test_pruning_a_keeps_what_b_shares_and_sweeps_orphans() -> None:
    caches = [
        (cache("a"), [(digest("x"), 1), (digest("y"), 2)]),
        (cache("b"), [(digest("y"), 2), (digest("z"), 3)]),
    ]
    listing = [blob(label) for label in ("x", "y", "z", "orphan")]
    listing.append(blob("new-orphan", age=timedelta(minutes=5)))
    gone: list[BlobEntry] = []

    plan = plan_prune(
        caches,
        iter(listing),
        rules=Rules(names=("a",)),
        now=NOW,
        grace=25 * HOUR,
        on_delete=gone.append,
    )

    assert [c.name for c in plan.choice.delete] == ["a"]
    assert [c.name for c in plan.choice.keep] == ["b"]
    assert gone == [listing[0], listing[3]]
    assert plan.sweep.grace == 1


def test_a_blob_a_deleted_cache_names_survives_while_another_names_it() -> None:
    book = BlobBook()
    a = read(book, "a", "x")
    b = read(book, "b", "x")

    choice = choose_caches([a, b], Rules(names=("a",)), now=NOW, sizes=book.sizes)

    assert referenced_keys(choice.keep) == {blob_key(digest("x"))}


def test_a_size_one_manifest_leaves_out_is_taken_from_another(book: BlobBook) -> None:
    read(book, "a", "x", x=0)
    read(book, "b", "x", x=500)
    read(book, "c", "x", x=0)

    assert book.sizes == {blob_key(digest("x")): 500}
