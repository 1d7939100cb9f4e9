"""``type=local,src=DIR,digest=D``: the one cache that digest names.

export and inspect read the same manifest for it, and a digest the directory
does not hold is a missing cache (exit 3), not a damaged directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

LATEST = "sha256:115086526a21411e8eb821ae1887945454fc1d6705da2377afa2cc1a7e436d4e"
OCI = "sha256:a51958bc27b54c8bbbcb2679810d82694e4429641e96a9a9f8be5c9724525380"
ABSENT = "sha256:" + "0" * 64
LAYER = "sha256:0853ab39802d2cc18edb19807711d8e4c5386c4926b2800b33a8f64e4c7b6b1c"


@pytest.fixture
def two_tags(local_fixture) -> Path:
    return local_fixture("copy-dockermt-2tags")


def inspect(run_cli, root: Path, *options: str, extra: str = ""):
    spec = f"type=local,src={root}{extra}"
    return run_cli("inspect", *options, "--cache-from", spec)


def export(run_cli, bucket, root: Path, extra: str):
    return run_cli(
        "export",
        "--cache-from",
        f"type=local,src={root}{extra}",
        "--cache-to",
        bucket.spec(name="app"),
    )


def untag(root: Path, digest: str) -> None:
    """Keep the manifest blob but drop every index.json entry naming it."""
    text = (root / "index.json").read_text()
    other = LATEST if digest == OCI else OCI
    shutil.copy(root / "index.json", root / "index.json.orig")
    (root / "index.json").write_text(text.replace(digest, other))


def test_export_of_an_absent_digest_is_a_missing_cache(
    run_cli, bucket, two_tags: Path
) -> None:
    result = export(run_cli, bucket, two_tags, f",digest={ABSENT}")

    assert result.exit_code == 3, result.output
    assert f"{two_tags} has no manifest {ABSENT}" in result.stderr
    assert "tags in index.json: latest, oci" in result.stderr
    assert "export the cache again" not in result.stderr
    assert bucket.keys() == []


def test_ignore_error_turns_an_absent_digest_into_a_warning(
    run_cli, bucket, two_tags: Path
) -> None:
    result = export(run_cli, bucket, two_tags, f",digest={ABSENT},ignore-error=true")

    assert result.exit_code == 0, result.output
    assert f"has no manifest {ABSENT}" in result.stderr


def test_export_of_an_untagged_digest_still_works(
    run_cli, bucket, two_tags: Path
) -> None:
    untag(two_tags, OCI)

    result = export(run_cli, bucket, two_tags, f",digest={OCI}")

    assert result.exit_code == 0, result.output
    assert bucket.keys("manifests/") == ["manifests/app"]


def test_inspect_shows_the_cache_a_digest_names(run_cli, two_tags: Path) -> None:
    result = inspect(run_cli, two_tags, "--json", extra=f",digest={OCI}")

    assert result.exit_code == 0, result.output
    (cache,) = result.json["caches"]
    assert cache["name"] == OCI
    assert cache["layer_count"] == 4
    assert result.json.get("storage") is None


def test_the_digest_wins_over_the_tag(run_cli, two_tags: Path) -> None:
    result = inspect(run_cli, two_tags, "--json", extra=f",tag=latest,digest={OCI}")

    assert [cache["name"] for cache in result.json["caches"]] == [OCI]
    assert result.json["caches"][0]["own_blobs"][0]["digest"] == OCI


def test_inspect_of_an_absent_digest_exits_3(run_cli, two_tags: Path) -> None:
    result = inspect(run_cli, two_tags, extra=f",digest={ABSENT}")

    assert result.exit_code == 3, result.output
    assert f"no cache named '{ABSENT}'" in result.stderr


def test_inspect_shows_an_untagged_digest(run_cli, two_tags: Path) -> None:
    untag(two_tags, OCI)

    result = inspect(run_cli, two_tags, "--json", "--check", extra=f",digest={OCI}")

    assert result.exit_code == 0, result.output
    assert [cache["name"] for cache in result.json["caches"]] == [OCI]


def test_a_digest_of_a_blob_that_is_no_manifest_is_invalid(
    run_cli, two_tags: Path
) -> None:
    listed = inspect(run_cli, two_tags, "--json", extra=f",digest={LAYER}")

    assert listed.exit_code == 0, listed.output
    (invalid,) = listed.json["invalid"]
    assert invalid["name"] == LAYER
    assert "is not valid JSON" in invalid["reason"]


def test_a_damaged_manifest_blob_is_invalid(run_cli, two_tags: Path) -> None:
    untag(two_tags, OCI)
    manifest = two_tags / "blobs" / "sha256" / OCI.removeprefix("sha256:")
    manifest.write_bytes(manifest.read_bytes().replace(b"sha256", b"sha257", 1))

    listed = inspect(run_cli, two_tags, "--json", extra=f",digest={OCI}")

    assert listed.exit_code == 0, listed.output
    (invalid,) = listed.json["invalid"]
    assert "its content hashes to" in invalid["reason"]
