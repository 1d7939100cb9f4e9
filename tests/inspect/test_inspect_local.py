"""`s3cache inspect` on local cache directories BuildKit wrote."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "local"


def fixture_bytes(name: str) -> int:
    return sum(
        p.stat().st_size for p in (FIXTURES / name / "blobs" / "sha256").iterdir()
    )


def inspect(run_cli, directory: Path, *options: str, tag: str | None = None):
    spec = f"type=local,src={directory}" + (f",tag={tag}" if tag else "")
    return run_cli("inspect", *options, "--cache-from", spec)


@pytest.mark.parametrize(
    ("fixture", "tags", "total"),
    [
        pytest.param(
            "run-max",
            {"latest": ("image index", 6, 11, 1_614_690)},
            1_619_102,
            id="run-max",
        ),
        pytest.param(
            "run-max-v0.32",
            {"latest": ("image manifest", 6, 11, 1_631_153)},
            1_635_669,
            id="run-max-v0.32",
        ),
        pytest.param(
            "copy-dockermt-2tags",
            {
                "latest": ("image index", 4, 8, 2_000_253),
                "oci": ("image index", 4, 8, 2_000_253),
            },
            2_004_880,
            id="copy-dockermt-2tags",
        ),
    ],
)
def test_every_fixture_with_exact_bytes(
    local_fixture, run_cli, fixture, tags, total
) -> None:
    result = inspect(run_cli, local_fixture(fixture), "--json")

    assert result.exit_code == 0
    found = {
        c["name"]: (c["form"], c["layer_count"], c["record_count"], c["bytes"])
        for c in result.json["caches"]
    }
    assert found == tags
    storage = result.json["storage"]
    assert total == fixture_bytes(fixture)
    assert (storage["blobs"], storage["bytes"]) == (
        len(os.listdir(FIXTURES / fixture / "blobs" / "sha256")),
        total,
    )
    assert (storage["unreferenced_blobs"], storage["unreferenced_bytes"]) == (0, 0)


def test_docker_and_oci_tags_share_their_layers(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("copy-dockermt-2tags"), "--json")

    latest, oci = result.json["caches"]
    assert latest["media_type"] == (
        "application/vnd.docker.distribution.manifest.list.v2+json"
    )
    assert {layer["media_type"] for layer in latest["layers"]} == {
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    }
    assert {layer["media_type"] for layer in oci["layers"]} == {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    }
    assert [s["cache"] for s in latest["shared_with"]] == ["oci"]
    assert latest["shared_with"][0] == {"cache": "oci", "blobs": 4, "bytes": 2_000_253}


def test_human_overview_shows_the_form(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("copy-dockermt-2tags"))

    rows = [line.split() for line in result.stdout.splitlines()[2:4]]
    assert rows[0][:4] == ["latest", "image", "index", "(Docker)"]
    assert rows[1][:3] == ["oci", "image", "index"]
    assert rows[1][-1] == "2,000,253"
    assert any("2,004,880 bytes" in line for line in result.stdout.splitlines())


def test_a_named_tag_in_detail(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max-v0.32"), tag="latest")

    assert result.exit_code == 0
    assert "  form           image manifest (application/vnd.oci.image.manifest" in (
        result.stdout
    )
    assert "Manifest and config of latest" in result.stdout
    assert "application/vnd.buildkit.cacheconfig.v0" in result.stdout


def test_a_missing_tag_exits_3(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max"), tag="main")

    assert result.exit_code == 3
    assert "warning: no cache named 'main'" in result.stderr
    assert "hint: caches there: latest" in result.stderr


def test_an_unreferenced_blob_is_counted(local_fixture, run_cli) -> None:
    root = local_fixture("run-max")
    orphan = b"from a build no tag names any more"
    digest = hashlib.sha256(orphan).hexdigest()
    (root / "blobs" / "sha256" / digest).write_bytes(orphan)

    storage = inspect(run_cli, root, "--json").json["storage"]

    assert (storage["blobs"], storage["bytes"]) == (9, 1_619_102 + len(orphan))
    assert (storage["unreferenced_blobs"], storage["unreferenced_bytes"]) == (
        1,
        len(orphan),
    )


def test_ingest_leftovers_are_shown(local_fixture, run_cli) -> None:
    root = local_fixture("run-max")
    leftover = root / "ingest" / "0a1b2c"
    leftover.mkdir(parents=True)
    (leftover / "data").write_bytes(b"d" * 4096)
    old = time.time() - 3 * 3600
    os.utime(leftover, (old, old))

    result = inspect(run_cli, root, "--json")

    [pending] = result.json["storage"]["pending_uploads"]
    assert (pending["upload_id"], pending["bytes"]) == ("0a1b2c", 4096)
    assert 3 * 3600 <= pending["age_seconds"] < 3 * 3600 + 600


def test_check_catches_a_corrupted_blob_of_the_same_size(local_fixture, run_cli):
    root = local_fixture("run-max")
    victim = (
        root
        / "blobs"
        / "sha256"
        / ("d783e84b8a9f5205a67b32c81aff543e2f40884777923a1ef0813be3511ef427")
    )
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0x01
    victim.write_bytes(bytes(data))

    result = inspect(run_cli, root, "--check", "--json")

    assert result.exit_code == 1
    [problem] = result.json["check"]["problems"]
    assert problem["digest"] == f"sha256:{victim.name}"
    assert problem["problem"] == "corrupt"
    assert problem["caches"] == ["latest"]
    assert result.json["check"]["blobs"] == 8


def test_check_finds_a_missing_layer_file(local_fixture, run_cli) -> None:
    root = local_fixture("copy-dockermt-2tags")
    missing = "0853ab39802d2cc18edb19807711d8e4c5386c4926b2800b33a8f64e4c7b6b1c"
    (root / "blobs" / "sha256" / missing).unlink()

    result = inspect(run_cli, root, "--check")

    assert result.exit_code == 1
    problems = result.stdout.split("\nProblems\n")[1].splitlines()
    assert problems[1].split()[:2] == ["missing", f"sha256:{missing}"]
    assert problems[1].endswith("latest, oci")


def test_check_passes_on_a_whole_directory(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max-v0.32"), "--check")

    assert result.exit_code == 0
    assert "Check: 8 blobs, 1,635,669 bytes (1.6 MiB), read and hashed" in (
        result.stdout
    )


def test_an_unreadable_index_json_exits_1(tmp_path, run_cli) -> None:
    (tmp_path / "index.json").write_text("[1, 2")

    result = inspect(run_cli, tmp_path)

    assert result.exit_code == 1
    assert f"error: {tmp_path / 'index.json'} is not valid JSON" in result.stderr


def test_a_directory_without_index_json_exits_3(tmp_path, run_cli) -> None:
    result = inspect(run_cli, tmp_path)

    assert result.exit_code == 3
    assert "holds no cache: index.json is missing" in result.stderr


def test_a_broken_tag_is_invalid_not_a_traceback(local_fixture, run_cli) -> None:
    root = local_fixture("copy-dockermt-2tags")
    config = (
        root
        / "blobs"
        / "sha256"
        / ("da5dcb4377b11ae65367d4274109b96a3698d54fb7bc79831f4afa64ae6094dc")
    )
    config.unlink()

    result = inspect(run_cli, root, "--json")

    assert result.exit_code == 0
    invalid = {c["name"]: c["reason"] for c in result.json["invalid"]}
    assert sorted(invalid) == ["latest", "oci"]
    assert invalid["oci"] == f"sha256:{config.name} is missing from {root}"


def test_json_for_a_named_tag_has_its_own_blobs_and_no_storage(
    local_fixture, run_cli
) -> None:
    result = inspect(run_cli, local_fixture("run-max"), "--json", tag="latest")

    document = result.json
    assert "storage" not in document and "check" not in document
    [cache] = document["caches"]
    assert [blob["media_type"] for blob in cache["own_blobs"]] == [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.buildkit.cacheconfig.v0",
    ]
    assert cache["bytes"] == 1_614_690
    assert document["store"]["spec"]["type"] == "local"


def test_deep_alone_means_check(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max"), "--deep", "--json")

    assert result.json["check"]["deep"] is True
    assert result.json["check"]["blobs"] == 8


def test_help_says_deep_implies_check(run_cli) -> None:
    result = run_cli("inspect", "--help")

    assert "--deep" in result.stdout
    assert "(implies --check)" in " ".join(result.stdout.split())


def test_quiet_prints_the_result_and_nothing_else(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max"), "-q", "--check")

    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("Caches in ")


def test_no_sign_request_is_ignored_for_a_directory(local_fixture, run_cli) -> None:
    result = inspect(run_cli, local_fixture("run-max"), "--no-sign-request")

    assert result.exit_code == 0
    assert "warning: --no-sign-request applies to S3 only; ignored" in result.stderr


def test_a_directory_without_caches(tmp_path, run_cli) -> None:
    (tmp_path / "index.json").write_text('{"schemaVersion":2,"manifests":[]}')

    result = inspect(run_cli, tmp_path)

    assert result.exit_code == 0
    assert result.stdout.startswith(f"No caches in {tmp_path}\n")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("type=registry,ref=user/app:cache", "s3", id="registry"),
        pytest.param("type=local", "src=DIR", id="no-src"),
        pytest.param("type=s3,bucket=b,region=r,endpoint=x", "endpoint_url", id="typo"),
    ],
)
def test_a_bad_flag_string_exits_2(run_cli, spec, message) -> None:
    result = run_cli("inspect", "--cache-from", spec)

    assert result.exit_code == 2
    assert message in result.stderr


def test_inspect_is_listed_and_its_help_has_an_example(run_cli) -> None:
    listing = run_cli("--help")
    help_text = run_cli("inspect", "--help")

    assert "  inspect " in listing.stdout
    assert "s3cache inspect --check --cache-from 'type=local,src=" in help_text.stdout
    assert "--no-sign-request" in help_text.stdout


def test_sections_are_separated_by_one_blank_line(local_fixture, run_cli) -> None:
    root = local_fixture("copy-dockermt-2tags")

    named = inspect(run_cli, root, "--check", tag="oci").stdout
    overview = inspect(run_cli, root, "--check").stdout

    for text in (named, overview):
        assert "\n\n\n" not in text and not text.startswith("\n")
    assert overview.split("\n\n")[1].startswith("Storage in ")
    assert "\n\nManifest and config of oci\n" in named
    assert "\n\nCheck: 7 blobs, 2,004,880 bytes" in overview
    assert " UTC (" in named


@pytest.mark.parametrize(
    ("fixture", "tag"),
    [
        pytest.param("run-max", "latest", id="image-index"),
        pytest.param("run-max-v0.32", "latest", id="image-manifest"),
        pytest.param("copy-dockermt-2tags", "latest", id="docker-types"),
    ],
)
def test_a_cache_has_the_same_bytes_in_s3_and_in_a_directory(
    local_fixture, run_cli, bucket, fixture: str, tag: str
) -> None:
    root = local_fixture(fixture)
    spec = bucket.spec(name="app")
    exported = run_cli(
        "export", "--cache-from", f"type=local,src={root},tag={tag}", "--cache-to", spec
    )
    assert exported.exit_code == 0, exported.output

    local = inspect(run_cli, root, "--json", tag=tag).json["caches"][0]
    remote = run_cli("inspect", "--json", "--cache-from", spec).json["caches"][0]

    assert local["bytes"] == remote["bytes"]
    assert local["bytes"] == sum(layer["size"] for layer in local["layers"])
