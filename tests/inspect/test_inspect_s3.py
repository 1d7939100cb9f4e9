"""`s3cache inspect` on buckets: BuildKit's own export and hand-made damage."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devtools.seaweed import ACCESS_KEY, SECRET_KEY

FIXTURE = Path(__file__).parents[1] / "fixtures" / "s3" / "run-max" / "objects"
BLOB_KEYS = sorted(f"blobs/{p.name}" for p in (FIXTURE / "blobs").iterdir())
FIXTURE_BYTES = sum(p.stat().st_size for p in (FIXTURE / "blobs").iterdir())
MANIFEST = json.loads((FIXTURE / "manifests" / "app").read_bytes())


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def inspect(run_cli, spec: str, *options: str):
    return run_cli("inspect", *options, "--cache-from", spec)


def test_lists_both_caches_of_the_buildkit_export(buildkit_s3_bucket, run_cli):
    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--json")

    assert result.exit_code == 0
    caches = {c["name"]: c for c in result.json["caches"]}
    assert sorted(caches) == ["app", "app-alias"]
    assert FIXTURE_BYTES == 1_614_690
    for cache in caches.values():
        assert cache["bytes"] == FIXTURE_BYTES
        assert (cache["layer_count"], cache["record_count"]) == (6, 11)
        assert (
            sorted(f"blobs/{layer['digest']}" for layer in cache["layers"]) == BLOB_KEYS
        )
    assert caches["app"]["shared_with"] == [
        {"cache": "app-alias", "blobs": 6, "bytes": FIXTURE_BYTES}
    ]


def test_storage_of_the_buildkit_export(buildkit_s3_bucket, run_cli) -> None:
    storage = inspect(run_cli, buildkit_s3_bucket.spec(), "--json").json["storage"]

    assert storage == {
        "blobs": 6,
        "bytes": 1_614_690,
        "unreferenced_blobs": 0,
        "unreferenced_bytes": 0,
        "absent_blobs": [],
        "foreign": [],
        "pending_uploads": [],
    }


def test_human_overview_is_plain_text_off_a_terminal(buildkit_s3_bucket, run_cli):
    result = inspect(run_cli, buildkit_s3_bucket.spec())

    lines = result.stdout.splitlines()
    assert lines[0] == f"Caches in s3://{buildkit_s3_bucket.name}/"
    assert lines[1].split() == [
        "NAME", "LAST", "MODIFIED", "AGE", "LAYERS", "RECORDS", "BYTES"
    ]  # fmt: skip
    assert lines[2].split()[0] == "app" and lines[2].endswith("6       11  1,614,690")
    assert lines[3].split()[0] == "app-alias"
    assert "  blobs               6, 1,614,690 bytes (1.5 MiB)" in lines
    assert "  incomplete uploads  none" in lines
    assert "\x1b[" not in result.stdout and "─" not in result.stdout


def test_named_caches_in_detail(buildkit_s3_bucket, run_cli) -> None:
    result = inspect(run_cli, buildkit_s3_bucket.spec(name="app"))

    assert result.exit_code == 0
    assert result.stdout.startswith("Cache app\n")
    assert "  shares         6 blobs (1.5 MiB) with app-alias" in result.stdout
    for layer in MANIFEST["layers"]:
        row = next(line for line in result.stdout.splitlines() if layer["blob"] in line)
        annotations = layer["annotations"]
        assert row.split() == [
            layer["blob"],
            annotations["mediaType"],
            f"{annotations['size']:,}",
            annotations["createdAt"],
            "app-alias",
        ]
    assert "app-alias\n" not in result.stdout.split("Cache app")[0]


def test_a_missing_named_cache_warns_and_exits_3(buildkit_s3_bucket, run_cli):
    result = inspect(run_cli, buildkit_s3_bucket.spec(name="app;nope"), "--json")

    assert result.exit_code == 3
    assert [c["name"] for c in result.json["caches"]] == ["app"]
    assert result.json["missing"] == ["nope"]
    assert f"warning: no cache named 'nope' in s3://{buildkit_s3_bucket.name}/" in (
        result.stderr
    )
    assert "hint: caches there: app, app-alias" in result.stderr


def test_check_passes_on_a_whole_cache(buildkit_s3_bucket, run_cli) -> None:
    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--check")

    assert result.exit_code == 0
    assert (
        "Check: 6 blobs, 1,614,690 bytes (1.5 MiB), checked with HEAD" in result.stdout
    )
    assert "  every blob is present" in result.stdout


def test_check_names_a_deleted_blob_and_exits_1(buildkit_s3_bucket, run_cli) -> None:
    buildkit_s3_bucket.delete(BLOB_KEYS[2])
    digest = BLOB_KEYS[2].removeprefix("blobs/")

    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--check")

    assert result.exit_code == 1
    problems = result.stdout.split("\nProblems\n")[1].splitlines()
    assert problems[0].split() == ["PROBLEM", "DIGEST", "DETAIL", "CACHES"]
    assert problems[1].split() == [
        "missing",
        digest,
        "not",
        "stored",
        "app,",
        "app-alias",
    ]
    lines = result.stdout.splitlines()
    assert ["named", "but", "absent", "1:", digest] in [line.split() for line in lines]
    assert "error: 1 of 6 blobs are missing or damaged" in result.stderr


def test_check_reports_a_blob_of_the_wrong_size(buildkit_s3_bucket, run_cli) -> None:
    key = BLOB_KEYS[0]
    buildkit_s3_bucket.put(key, buildkit_s3_bucket.get(key) + b"!")

    result = inspect(run_cli, buildkit_s3_bucket.spec(name="app"), "--check", "--json")

    assert result.exit_code == 1
    [problem] = result.json["check"]["problems"]
    assert problem["digest"] == key.removeprefix("blobs/")
    assert problem["problem"] == "wrong size"
    assert problem["detail"] == "8404 bytes stored, the manifest says 8403"
    assert problem["caches"] == ["app"]


def test_deep_check_catches_replaced_bytes_of_the_same_size(
    buildkit_s3_bucket, run_cli
) -> None:
    key = BLOB_KEYS[3]
    original = buildkit_s3_bucket.get(key)
    buildkit_s3_bucket.put(key, bytes(reversed(original)))

    shallow = inspect(run_cli, buildkit_s3_bucket.spec(), "--check")
    deep = inspect(run_cli, buildkit_s3_bucket.spec(), "--check", "--deep", "--json")

    assert shallow.exit_code == 0
    assert deep.exit_code == 1
    [problem] = deep.json["check"]["problems"]
    assert (problem["digest"], problem["problem"]) == (key[6:], "corrupt")
    assert f"hashes to {sha256(bytes(reversed(original)))}" in problem["detail"]
    assert deep.json["check"]["deep"] is True


def _broken(bucket) -> None:
    """Three manifests BuildKit would refuse, beside the fixture's good ones."""
    bucket.put("manifests/not-json", b"<html>oops</html>")
    bad_digest = json.loads(json.dumps(MANIFEST))
    bad_digest["layers"][0]["blob"] = "sha256:../../etc/passwd"
    bucket.put("manifests/bad-digest", json.dumps(bad_digest).encode())
    loop = json.loads(json.dumps(MANIFEST))
    loop["records"][0]["inputs"] = [[{"link": 0}]]
    bucket.put("manifests/loop", json.dumps(loop).encode())


def test_invalid_manifests_are_listed_with_their_reasons(
    buildkit_s3_bucket, run_cli
) -> None:
    _broken(buildkit_s3_bucket)

    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--json")

    assert result.exit_code == 0
    assert [c["name"] for c in result.json["caches"]] == ["app", "app-alias"]
    reasons = {c["name"]: c["reason"] for c in result.json["invalid"]}
    assert sorted(reasons) == ["bad-digest", "loop", "not-json"]
    assert reasons["not-json"].startswith("not valid JSON")
    assert "invalid digest 'sha256:../../etc/passwd'" in reasons["bad-digest"]
    assert reasons["loop"] == "record 0 is its own input through 0 -> 0"
    assert "Traceback" not in result.output


def test_invalid_manifests_in_the_human_output(buildkit_s3_bucket, run_cli) -> None:
    _broken(buildkit_s3_bucket)

    result = inspect(run_cli, buildkit_s3_bucket.spec())

    invalid = result.stdout.split("Invalid caches\n")[1].splitlines()
    assert invalid[0].split() == ["NAME", "REASON"]
    assert invalid[3].startswith("not-json    not valid JSON")


def test_invalid_manifests_fail_the_check(buildkit_s3_bucket, run_cli) -> None:
    _broken(buildkit_s3_bucket)

    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--check")

    assert result.exit_code == 1
    assert "error: invalid caches: bad-digest, loop, not-json" in result.stderr


def test_orphan_blobs_are_counted_as_unreferenced(buildkit_s3_bucket, run_cli):
    orphan = b"left behind by an older build"
    buildkit_s3_bucket.put(f"blobs/{sha256(orphan)}", orphan)

    storage = inspect(run_cli, buildkit_s3_bucket.spec(), "--json").json["storage"]

    assert (storage["blobs"], storage["bytes"]) == (7, FIXTURE_BYTES + len(orphan))
    assert (storage["unreferenced_blobs"], storage["unreferenced_bytes"]) == (
        1,
        len(orphan),
    )


def test_a_blob_no_longer_stored_is_reported_absent(buildkit_s3_bucket, run_cli):
    buildkit_s3_bucket.delete(BLOB_KEYS[0])

    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--json")

    assert result.exit_code == 0
    assert result.json["storage"]["absent_blobs"] == [BLOB_KEYS[0][6:]]


def test_a_key_under_blobs_that_is_no_digest_is_left_alone_and_shown(
    buildkit_s3_bucket, run_cli
) -> None:
    buildkit_s3_bucket.put("blobs/notes.txt", b"mine")

    result = inspect(run_cli, buildkit_s3_bucket.spec())

    assert "  not a digest (left alone)  blobs/notes.txt" in result.stdout
    assert buildkit_s3_bucket.get("blobs/notes.txt") == b"mine"
    assert "  blobs                      6, 1,614,690 bytes (1.5 MiB)" in result.stdout


def test_a_pending_multipart_upload_is_shown(buildkit_s3_bucket, run_cli) -> None:
    bucket, key = buildkit_s3_bucket, f"blobs/{sha256(b'never finished')}"
    upload = bucket.client.create_multipart_upload(Bucket=bucket.name, Key=key)
    bucket.client.upload_part(
        Bucket=bucket.name,
        Key=key,
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"p" * 1000,
    )

    document = inspect(run_cli, bucket.spec(), "--json").json
    human = inspect(run_cli, bucket.spec()).stdout

    [pending] = document["storage"]["pending_uploads"]
    assert (pending["location"], pending["bytes"]) == (key, 1000)
    assert pending["upload_id"] == upload["UploadId"]
    assert 0 <= pending["age_seconds"] < 600
    assert "  incomplete uploads  1, 1,000 bytes (1000 B), oldest started " in human
    assert human.rstrip().endswith(f"ago: {key}")


def test_only_caches_under_the_prefix(bucket, run_cli) -> None:
    bucket.upload_tree(FIXTURE, prefix="team1/")
    bucket.upload_tree(FIXTURE / "manifests", prefix="team2/manifests/")

    team1 = inspect(run_cli, bucket.spec(prefix="team1/"), "--json").json
    team2 = inspect(run_cli, bucket.spec(prefix="team2/"), "--json").json

    assert [c["location"] for c in team1["caches"]] == [
        "team1/manifests/app",
        "team1/manifests/app-alias",
    ]
    assert team1["storage"]["blobs"] == 6
    assert team2["storage"]["blobs"] == 0
    assert len(team2["storage"]["absent_blobs"]) == 6


def test_an_empty_prefix(bucket, run_cli) -> None:
    result = inspect(run_cli, bucket.spec(prefix="nothing/"))

    assert result.exit_code == 0
    assert result.stdout.startswith(f"No caches in s3://{bucket.name}/nothing/\n")


def test_json_document_shape_and_masked_secret(
    buildkit_s3_bucket, run_cli, monkeypatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    spec = buildkit_s3_bucket.spec(
        access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY
    )

    result = inspect(run_cli, spec, "--json")

    document = result.json
    assert result.exit_code == 0
    assert sorted(document) == [
        "caches",
        "invalid",
        "missing",
        "schema_version",
        "storage",
        "store",
    ]
    assert document["schema_version"] == 1
    assert document["store"]["spec"]["secret_access_key"] == "***"
    assert document["store"]["spec"]["access_key_id"] == ACCESS_KEY
    assert SECRET_KEY not in result.output


@pytest.mark.parametrize("verbosity", ["-v", "--debug"])
def test_the_secret_never_shows(buildkit_s3_bucket, run_cli, monkeypatch, verbosity):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    spec = buildkit_s3_bucket.spec(
        access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY, name="app"
    )

    result = inspect(run_cli, spec, verbosity, "--check", "--deep")

    assert "Cache app" in result.stdout
    assert (
        f"credentials for s3://{buildkit_s3_bucket.name}: the flag string"
        in result.stderr
    )
    assert SECRET_KEY not in result.output


def test_verbose_names_the_credential_source(buildkit_s3_bucket, run_cli) -> None:
    from_env = inspect(run_cli, buildkit_s3_bucket.spec(), "-v")
    from_flags = inspect(
        run_cli,
        buildkit_s3_bucket.spec(access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY),
        "-v",
    )

    credentials = f"credentials for s3://{buildkit_s3_bucket.name}"
    assert (
        f"{credentials}: environment variables (AWS_ACCESS_KEY_ID)" in from_env.stderr
    )
    assert (
        f"{credentials}: the flag string (access_key_id/secret_access_key)"
        in from_flags.stderr
    )


def test_no_such_bucket_exits_1(s3_server, bucket, run_cli) -> None:
    spec = bucket.spec().replace(f"bucket={bucket.name}", "bucket=no-such-bucket")

    result = inspect(run_cli, spec)

    assert result.exit_code == 1
    assert "error: bucket 'no-such-bucket' does not exist" in result.stderr


def test_a_wrong_secret_exits_4(buildkit_s3_bucket, run_cli) -> None:
    spec = buildkit_s3_bucket.spec(
        access_key_id=ACCESS_KEY, secret_access_key="not-the-secret-at-all"
    )

    result = inspect(run_cli, spec)

    assert result.exit_code == 4
    assert "the secret access key does not match the key id" in result.stderr
    assert (
        "hint: the credentials came from the flag string "
        "(access_key_id/secret_access_key)" in result.stderr
    )
    assert "not-the-secret-at-all" not in result.output


def test_ignore_error_turns_a_missing_cache_into_a_warning(
    buildkit_s3_bucket, run_cli
) -> None:
    spec = buildkit_s3_bucket.spec(name="nope", **{"ignore-error": "true"})

    result = inspect(run_cli, spec)

    assert result.exit_code == 0
    assert "(ignored: ignore-error=true)" in result.stderr


def test_no_sign_request_reads_without_credentials(buildkit_s3_bucket, run_cli):
    # The test server checks signatures, so an unsigned request is refused:
    # what matters is that no credentials were looked up or sent.
    result = inspect(run_cli, buildkit_s3_bucket.spec(), "--no-sign-request", "-v")

    assert (
        f"credentials for s3://{buildkit_s3_bucket.name}: none (unsigned requests)"
        in result.stderr
    )
    assert result.exit_code == 4
    assert "access denied" in result.stderr
    assert "hint: the requests were unsigned (--no-sign-request)" in result.stderr
    assert "s3:ListBucket" not in result.stderr
