"""What an export says it did: progress that names touches as touches, bytes
sent that count only what left this machine, and warnings in good grammar."""

from __future__ import annotations

import time

import pytest

from tests.export.test_export_s3_copy import copy
from tests.export.test_export_s3_copy import other_bucket as other_bucket


def test_a_touch_only_export_says_touching_not_uploading(
    run_cli, bucket, local_fixture
) -> None:
    source = str(local_fixture("run-max"))
    run_cli("export", source, "--cache-to", bucket.spec(name="app"))
    time.sleep(1.1)  # S3 times have whole seconds

    result = run_cli(
        "export", source, "--cache-to", bucket.spec(name="app", touch_refresh="1s")
    )

    assert result.exit_code == 0, result.stderr
    assert "touching 6 blobs, 0 B" in result.stderr
    assert "touched 6/6 blobs" in result.stderr
    assert "uploading" not in result.stderr


def test_an_export_that_uploads_and_touches_says_both(
    run_cli, bucket, local_fixture, tmp_path
) -> None:
    source = local_fixture("run-max")
    run_cli("export", str(source), "--cache-to", bucket.spec(name="app"))
    first = bucket.keys("blobs/")[0]
    bucket.delete(first)
    time.sleep(1.1)

    result = run_cli(
        "export",
        str(source),
        "--cache-to",
        bucket.spec(name="app", touch_refresh="1s"),
    )

    assert result.exit_code == 0, result.stderr
    assert "uploading and touching 6 blobs" in result.stderr
    assert "uploaded and touched 6/6 blobs" in result.stderr


def test_a_fresh_export_still_says_uploading(run_cli, bucket, local_fixture) -> None:
    result = run_cli(
        "export", str(local_fixture("run-max")), "--cache-to", bucket.spec()
    )

    assert "uploading 6 blobs" in result.stderr


def test_a_server_side_copy_sends_no_bytes(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    document = copy(
        run_cli, buildkit_s3_bucket.spec(name="app"), other_bucket.spec(name="m")
    )

    assert document["transfer"] == "server-side copy"
    assert document["bytes_sent"] == 0
    assert document["bytes_copied"] == document["bytes"]["upload"] > 0
    assert document["bytes_per_second"] > 0


def test_a_server_side_copy_summary_says_copied(
    run_cli, buildkit_s3_bucket, other_bucket
) -> None:
    result = run_cli(
        "export",
        "--cache-from",
        buildkit_s3_bucket.spec(name="app"),
        "--cache-to",
        other_bucket.spec(name="m"),
    )

    assert result.exit_code == 0, result.stderr
    assert "  copied 1.5 MiB at " in result.stdout


def test_an_upload_counts_its_bytes_as_sent(run_cli, bucket, local_fixture) -> None:
    result = run_cli(
        "export", str(local_fixture("run-max")), "--cache-to", bucket.spec(), "--json"
    )

    document = result.json
    assert document["bytes_sent"] == document["bytes"]["upload"] > 0
    assert document["bytes_copied"] == 0


@pytest.mark.parametrize(
    ("extra", "warning"),
    [
        pytest.param(
            {"compression": "zstd"},
            "--cache-to: compression ignored: it does not apply to type=s3",
            id="one-key",
        ),
        pytest.param(
            {"compression": "zstd", "image-manifest": "true"},
            "--cache-to: compression, image-manifest ignored: they do not apply "
            "to type=s3",
            id="two-keys",
        ),
    ],
)
def test_ignored_keys_are_named_in_good_grammar(
    run_cli, bucket, local_fixture, extra, warning
) -> None:
    spec = bucket.spec(**extra)

    result = run_cli("export", str(local_fixture("run-max")), "--cache-to", spec)

    assert f"warning: {warning}\n" in result.stderr
