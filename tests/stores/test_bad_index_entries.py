"""A directory whose index.json has one malformed entry among good ones.

BuildKit reads only the entry it needs, so the good tags stay usable: inspect
lists the bad entry among the invalid caches, export of a good tag works and
of the bad one fails naming it, and prune deletes nothing at all while an
entry it cannot read might name any blob.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from s3cache_cli.errors import CacheNotFound, InvalidManifest
from s3cache_cli.oci import mediatypes
from s3cache_cli.oci.layout import BadEntry, OciLayout
from s3cache_cli.stores.local import LocalStore

BAD_DIGEST = "sha256:../../etc/passwd"
DIGEST_REASON = (
    f"index.json manifests[1]: invalid digest '{BAD_DIGEST}': the hex part may "
    "hold only the digits 0-9 and a-f (lower case)"
)
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
HOUR = 3600


def edit_index(root: Path, change) -> None:
    path = root / "index.json"
    document = json.loads(path.read_text())
    change(document["manifests"])
    path.write_text(json.dumps(document))


def spoil_oci_tag(root: Path) -> None:
    """Entry 1 (tag oci) gets a digest that would be a path out of the layout."""

    def change(entries: list[dict]) -> None:
        entries[1]["digest"] = BAD_DIGEST

    edit_index(root, change)


@pytest.fixture
def spoiled(local_fixture) -> Path:
    """Tags latest (good) and oci (bad digest) sharing their layers."""
    root = local_fixture("copy-dockermt-2tags")
    spoil_oci_tag(root)
    return root


def inspect(run_cli, root: Path, *options: str, tag: str | None = None):
    spec = f"type=local,src={root}" + (f",tag={tag}" if tag else "")
    return run_cli("inspect", *options, "--cache-from", spec)


def blob_names(root: Path) -> list[str]:
    return sorted(os.listdir(root / "blobs" / "sha256"))


def age_files(root: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (stamp, stamp), follow_symlinks=False)


# The reader


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param(
            {"mediaType": mediatypes.OCI_INDEX, "size": 1},
            "index.json manifests[1]: digest missing",
            id="digest-missing",
        ),
        pytest.param(
            {"mediaType": mediatypes.OCI_INDEX, "digest": "sha256:" + "a" * 64},
            "index.json manifests[1]: size missing",
            id="size-missing",
        ),
        pytest.param(
            {"digest": "sha256:" + "a" * 64, "size": 1},
            "index.json manifests[1]: mediaType is missing",
            id="media-type-missing",
        ),
        pytest.param(
            {"mediaType": LAYER_TYPE, "digest": "sha256:" + "a" * 64, "size": 1},
            f"index.json manifests[1]: media type '{LAYER_TYPE}' is neither an "
            "image index nor an image manifest",
            id="media-type-unknown",
        ),
        pytest.param(
            ["not", "an", "object"],
            "index.json manifests[1]: a descriptor must be a JSON object",
            id="not-an-object",
        ),
    ],
)
def test_the_reader_keeps_the_good_entries_and_says_why_not_the_bad(
    local_fixture, entry: object, reason: str
) -> None:
    root = local_fixture("copy-dockermt-2tags")
    edit_index(root, lambda entries: entries.__setitem__(1, entry))

    index = OciLayout(root).read_index()

    assert [item.tag for item in index.entries] == ["latest"]
    [bad] = index.bad
    assert (bad.position, bad.label) == (1, "manifests[1]")
    assert bad.reason.startswith(reason)
    assert OciLayout(root).tags() == ["latest"]


def test_a_bad_entry_keeps_its_tag_when_that_much_reads(spoiled: Path) -> None:
    [bad] = OciLayout(spoiled).read_index().bad

    assert bad == BadEntry(1, DIGEST_REASON, "oci")


def test_the_good_tag_loads(spoiled: Path) -> None:
    loaded = OciLayout(spoiled).load_cache(tag="latest")

    assert loaded.manifest.tag == "latest"
    assert len(loaded.config.layers) == 4


def test_the_bad_tag_fails_naming_the_entry(spoiled: Path) -> None:
    with pytest.raises(InvalidManifest) as caught:
        OciLayout(spoiled).load_cache(tag="oci")

    assert caught.value.message == (
        f"{spoiled / 'index.json'}: the entry for tag 'oci' is unusable: "
        f"{DIGEST_REASON}"
    )


def test_the_last_entry_of_a_tag_decides(local_fixture) -> None:
    root = local_fixture("copy-dockermt-2tags")

    def change(entries: list[dict]) -> None:
        bad_latest = {**entries[0], "size": -1}
        entries.append(bad_latest)

    edit_index(root, change)

    with pytest.raises(InvalidManifest, match=r"manifests\[2\]: size must be"):
        OciLayout(root).resolve(tag="latest")


def test_an_unknown_tag_hints_at_the_entries_that_cannot_be_read(
    spoiled: Path,
) -> None:
    with pytest.raises(CacheNotFound, match="has no tag 'main'") as caught:
        OciLayout(spoiled).resolve(tag="main")

    assert caught.value.hint == (
        "tags in index.json: latest; unreadable entries: manifests[1] "
        "(s3cache inspect shows why)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{not json", "is not valid JSON", id="not-json"),
        pytest.param("[]", ": not a JSON object", id="a-list"),
        pytest.param('{"manifests": {}}', ": 'manifests' must be a list", id="map"),
    ],
)
def test_an_index_that_is_wholly_unreadable_still_fails_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "index.json").write_text(text)

    with pytest.raises(InvalidManifest) as caught:
        OciLayout(tmp_path).read_index()

    assert caught.value.message.startswith(f"{tmp_path / 'index.json'}")
    assert message in caught.value.message


def test_the_store_lists_a_bad_entry_and_refuses_to_read_it(spoiled: Path) -> None:
    store = LocalStore(spoiled)

    entries = {entry.name: entry for entry in store.list_caches()}

    assert sorted(entries) == ["latest", "oci"]
    assert entries["oci"].location == "index.json#manifests[1]"
    with pytest.raises(InvalidManifest, match=r"^index\.json manifests\[1\]: "):
        store.read_cache(entries["oci"])
    with pytest.raises(InvalidManifest, match=r"^index\.json manifests\[1\]: "):
        store.own_blobs(entries["oci"])
    assert len(store.read_cache(entries["latest"]).layers) == 4


def test_a_bad_entry_sharing_a_tag_is_listed_by_its_place(local_fixture) -> None:
    root = local_fixture("copy-dockermt-2tags")
    edit_index(root, lambda entries: entries.append({**entries[0], "size": "big"}))

    names = sorted(entry.name for entry in LocalStore(root).list_caches())

    assert names == ["latest", "manifests[2]", "oci"]


# The commands


def test_inspect_lists_the_bad_entry_among_the_invalid_caches(
    run_cli, spoiled: Path
) -> None:
    result = inspect(run_cli, spoiled, "--json")

    assert result.exit_code == 0, result.output
    assert [cache["name"] for cache in result.json["caches"]] == ["latest"]
    [invalid] = result.json["invalid"]
    assert (invalid["name"], invalid["reason"]) == ("oci", DIGEST_REASON)


def test_inspect_shows_the_place_and_the_reason(run_cli, spoiled: Path) -> None:
    result = inspect(run_cli, spoiled)

    assert result.exit_code == 0, result.output
    assert "Invalid caches" in result.stdout
    assert "index.json manifests[1]: invalid digest" in result.stdout


def test_inspect_check_fails_on_the_bad_entry(run_cli, spoiled: Path) -> None:
    result = inspect(run_cli, spoiled, "--check")

    assert result.exit_code == 1
    assert "error: invalid caches: oci" in result.stderr
    assert "every blob is present and whole" in result.stdout


def test_inspect_of_the_good_tag_alone_is_fine(run_cli, spoiled: Path) -> None:
    result = inspect(run_cli, spoiled, "--check", "--json", tag="latest")

    assert result.exit_code == 0, result.output
    assert [cache["name"] for cache in result.json["caches"]] == ["latest"]
    assert result.json["invalid"] == []


def test_inspect_of_the_bad_tag_shows_it_invalid(run_cli, spoiled: Path) -> None:
    result = inspect(run_cli, spoiled, "--json", tag="oci")

    assert result.exit_code == 0, result.output
    assert [cache["name"] for cache in result.json["invalid"]] == ["oci"]


def test_export_of_the_good_tag_works(run_cli, bucket, spoiled: Path) -> None:
    result = run_cli("export", str(spoiled), "--cache-to", bucket.spec(name="main"))

    assert result.exit_code == 0, result.output
    assert "manifests/main" in bucket.keys("manifests/")


def test_export_of_the_bad_tag_fails_naming_the_entry(
    run_cli, bucket, spoiled: Path
) -> None:
    result = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={spoiled},tag=oci",
        "--cache-to",
        bucket.spec(name="main"),
    )

    assert result.exit_code == 1
    assert (
        f"error: {spoiled / 'index.json'}: the entry for tag 'oci' is unusable: "
        f"{DIGEST_REASON}\n"
    ) in result.stderr
    assert bucket.keys() == []


def test_import_into_the_directory_keeps_the_bad_entry(
    run_cli, buildkit_s3_bucket, spoiled: Path
) -> None:
    bad_entry = json.loads((spoiled / "index.json").read_text())["manifests"][1]

    result = run_cli(
        "import",
        "--cache-from",
        buildkit_s3_bucket.spec(name="app"),
        "--cache-to",
        f"type=local,dest={spoiled},tag=main",
    )

    assert result.exit_code == 0, result.output
    entries = json.loads((spoiled / "index.json").read_text())["manifests"]
    assert bad_entry in entries
    assert OciLayout(spoiled).load_cache(tag="main").manifest.tag == "main"


def test_prune_deletes_nothing_while_an_entry_is_unreadable(
    run_cli, spoiled: Path
) -> None:
    orphan = spoiled / "blobs" / "sha256" / ("e" * 64)
    orphan.write_text("named by no good tag")
    age_files(spoiled, 2 * HOUR)
    index_before = (spoiled / "index.json").read_bytes()
    blobs_before = blob_names(spoiled)

    result = run_cli(
        "prune", "-f", "--all", "--grace", "0s",
        "--cache-to", f"type=local,dest={spoiled}",
    )  # fmt: skip

    assert result.exit_code == 1
    assert (
        f"error: cannot read the cache manifest of oci: {DIGEST_REASON}; any blob "
        "may belong to it, so prune stopped before deleting any blob"
    ) in result.stderr
    assert (spoiled / "index.json").read_bytes() == index_before
    assert blob_names(spoiled) == blobs_before


def test_a_prune_that_only_sweeps_stops_too(run_cli, spoiled: Path) -> None:
    orphan = spoiled / "blobs" / "sha256" / ("e" * 64)
    orphan.write_text("named by no good tag")
    age_files(spoiled, 2 * HOUR)

    result = run_cli("prune", "-f", "--cache-to", f"type=local,dest={spoiled}")

    assert result.exit_code == 1
    assert "prune stopped before deleting any blob" in result.stderr
    assert orphan.exists()


def test_prune_sweeps_again_once_the_entry_is_removed(run_cli, spoiled: Path) -> None:
    orphan = spoiled / "blobs" / "sha256" / ("e" * 64)
    orphan.write_text("named by no good tag")
    edit_index(spoiled, lambda entries: entries.pop(1))
    age_files(spoiled, 2 * HOUR)

    result = run_cli("prune", "-f", "--cache-to", f"type=local,dest={spoiled}")

    assert result.exit_code == 0, result.output
    assert not orphan.exists()
