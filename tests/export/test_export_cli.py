"""The export command's surface: arguments, --dry-run, --json, output."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest


def test_dry_run_writes_nothing_and_says_what_it_would_do(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    result = run_cli(
        "export",
        str(local_fixture("run-max")),
        "--cache-to",
        bucket.spec(name="app;app-alias"),
        "--dry-run",
    )

    assert result.exit_code == 0, result.output
    assert bucket.keys() == []
    assert set(s3_calls.operations()) <= {"HeadObject", "ListObjectsV2"}
    assert "would export" in result.stdout
    assert "6 to upload (1.5 MiB), 0 to touch, 0 already present" in result.stdout
    assert "manifests to write: manifests/app, manifests/app-alias" in result.stdout


def test_dry_run_touches_nothing(run_cli, bucket, local_fixture) -> None:
    source = str(local_fixture("run-max"))
    run_cli("export", source, "--cache-to", bucket.spec(name="app"))
    key = bucket.keys("blobs/")[0]
    before = bucket.client.head_object(Bucket=bucket.name, Key=key)
    time.sleep(1.1)

    result = run_cli(
        "export",
        source,
        "--cache-to",
        bucket.spec(name="app", touch_refresh="1s"),
        "--dry-run",
        "--json",
    )

    assert result.json["blobs"] == {"upload": 0, "touch": 6, "present": 0}
    after = bucket.client.head_object(Bucket=bucket.name, Key=key)
    assert after["LastModified"] == before["LastModified"]


def test_the_json_document(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")

    result = run_cli(
        "export", str(source), "--cache-to", bucket.spec(name="app"), "--json"
    )

    document = result.json
    assert document["schema_version"] == 1
    assert document["dry_run"] is False
    assert document["source"] == f"{source} (tag latest)"
    assert document["destination"] == f"s3://{bucket.name}/"
    assert document["transfer"] == "upload"
    assert document["blobs"] == {"upload": 6, "touch": 0, "present": 0}
    assert document["bytes"] == {"upload": 1614690, "touch": 0, "present": 0}
    assert document["bytes_sent"] == 1614690
    assert document["seconds"] >= document["transfer_seconds"] > 0
    assert document["bytes_per_second"] > 0
    assert document["manifests"] == ["manifests/app"]
    assert len(document["blob_actions"]) == 6
    assert set(document["blob_actions"][0]) == {"digest", "size", "key", "action"}
    lines = result.stderr.splitlines()
    assert lines[0] == "uploading 6 blobs, 1.5 MiB"
    assert lines[1].startswith("uploaded 6/6 blobs, 1.5 MiB in ")
    assert len(lines) == 2


def test_the_summary_names_counts_bytes_and_manifests(
    run_cli, bucket, local_fixture
) -> None:
    result = run_cli(
        "export", str(local_fixture("run-max")), "--cache-to", bucket.spec(name="app")
    )

    lines = result.stdout.splitlines()
    assert lines[0].startswith("exported ")
    assert lines[1] == "  blobs: 6 uploaded (1.5 MiB), 0 touched, 0 already present"
    assert lines[2].startswith("  sent 1.5 MiB at ")
    assert "/s, done in " in lines[2]
    assert lines[3] == "  manifests written: manifests/app"


def test_verbose_names_the_credentials_and_every_blob(
    run_cli, bucket, local_fixture
) -> None:
    result = run_cli(
        "export",
        str(local_fixture("run-max")),
        "--cache-to",
        bucket.spec(name="app"),
        "-v",
    )

    assert "credentials for s3://" in result.stderr
    assert "environment variables (AWS_ACCESS_KEY_ID)" in result.stderr
    assert result.stderr.count("upload   sha256:") == 6


def test_quiet_prints_only_the_result(run_cli, bucket, local_fixture) -> None:
    result = run_cli(
        "export", str(local_fixture("run-max")), "--cache-to", bucket.spec(), "-q"
    )

    assert result.exit_code == 0
    assert result.stderr == ""


def test_cache_from_takes_a_local_spec(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")

    result = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={source}",
        "--cache-to",
        bucket.spec(name="app"),
    )

    assert result.exit_code == 0, result.output
    assert bucket.keys("manifests/") == ["manifests/app"]


def test_a_digest_picks_the_entry(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("copy-dockermt-2tags")
    oci_digest = (
        "sha256:a51958bc27b54c8bbbcb2679810d82694e4429641e96a9a9f8be5c9724525380"
    )

    result = run_cli(
        "export",
        "--cache-from",
        f"type=local,src={source},digest={oci_digest}",
        "--cache-to",
        bucket.spec(name="app"),
        "--json",
    )

    assert result.exit_code == 0, result.output
    assert result.json["source"] == f"{source} (digest {oci_digest})"


def test_the_environment_can_name_both_caches(run_cli, bucket, local_fixture) -> None:
    source = local_fixture("run-max")

    result = run_cli(
        "export",
        env={
            "S3CACHE_CACHE_TO": bucket.spec(name="env"),
            "S3CACHE_CACHE_FROM": f"type=local,src={source}",
        },
    )

    assert result.exit_code == 0, result.output
    assert bucket.keys("manifests/") == ["manifests/env"]


def test_a_directory_wins_over_the_environment(
    run_cli, bucket, local_fixture, tmp_path
) -> None:
    result = run_cli(
        "export",
        str(local_fixture("run-max")),
        "--cache-to",
        bucket.spec(name="app"),
        env={"S3CACHE_CACHE_FROM": f"type=local,src={tmp_path / 'elsewhere'}"},
    )

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["DIR", "--cache-from", "type=local,src=x"], "not both", id="both"
        ),
        pytest.param([], "give a directory or --cache-from", id="neither"),
        pytest.param(["DIR", "--no-such-flag"], "No such option", id="unknown-flag"),
    ],
)
def test_usage_errors_exit_2(
    run_cli, bucket, local_fixture, arguments: list[str], message: str
) -> None:
    source = str(local_fixture("run-max"))
    arguments = [source if arg == "DIR" else arg for arg in arguments]

    result = run_cli("export", *arguments, "--cache-to", bucket.spec())

    assert result.exit_code == 2
    assert message in result.output
    assert bucket.keys() == []


def test_dir_and_cache_from_together_say_how_to_pick_a_tag(
    run_cli, bucket, local_fixture
) -> None:
    source = str(local_fixture("run-max"))

    result = run_cli(
        "export",
        source,
        "--cache-from",
        f"type=local,src={source},tag=v1",
        "--cache-to",
        bucket.spec(),
    )

    assert result.exit_code == 2
    assert "give either DIR or --cache-from, not both" in result.stderr
    assert (
        "to choose a tag, drop DIR and pass "
        f"--cache-from 'type=local,src={source},tag=T'" in result.stderr
    )


def test_the_hint_for_a_tag_pastes_back_for_any_directory(
    run_cli, bucket, tmp_path
) -> None:
    import shlex

    from s3cache_cli.spec import parse_cache_spec

    source = tmp_path / "it's a,cache"
    source.mkdir()

    result = run_cli(
        "export", str(source), "--cache-from", f"type=local,src={tmp_path}",
        "--cache-to", bucket.spec(),
    )  # fmt: skip

    assert result.exit_code == 2
    hint = result.stderr.split("hint: ", 1)[1].strip()
    option, flag_string = shlex.split(hint.split("pass ", 1)[1])
    assert option == "--cache-from"
    assert parse_cache_spec(flag_string, direction="from", environ={}).path == source


def test_cache_to_is_required(run_cli, local_fixture) -> None:
    result = run_cli("export", str(local_fixture("run-max")))

    assert result.exit_code == 2
    assert "--cache-to" in result.output


def test_attributes_that_do_not_apply_are_reported_once(
    run_cli, bucket, local_fixture
) -> None:
    result = run_cli(
        "export",
        str(local_fixture("run-max")),
        "--cache-to",
        bucket.spec(compression="zstd"),
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.count("compression") == 1
    assert "warning: --cache-to:" in result.stderr


def test_help_shows_a_real_example_without_loading_boto3() -> None:
    code = (
        "import sys\n"
        "from s3cache_cli.cli import cli\n"
        "try:\n"
        "    cli(['export', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print({'boto3', 'botocore'} & set(sys.modules) or False)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert "s3cache export /tmp/cache" in result.stdout
    assert "--cache-to 'type=s3,region=eu-west-1,bucket=ci-cache" in result.stdout
    assert result.stdout.strip().endswith("False")
