"""The real CLI against the test S3 server: in a pseudo-terminal, in a log,
and as a GitHub Actions step."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect

from tests.ux.screen import bare_carriage_returns, screen

REPO = Path(__file__).resolve().parents[2]
S3CACHE = [sys.executable, "-m", "s3cache_cli"]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment (credentials, no AWS config) plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    return {**env, "TERM": "xterm-256color", **extra}


def in_terminal(*args: str, **env: str) -> tuple[int, str]:
    child = pexpect.spawn(
        S3CACHE[0],
        [*S3CACHE[1:], *args],
        cwd=REPO,
        env=environment(**env),
        dimensions=(30, 120),
        encoding="utf-8",
        timeout=60,
    )
    output = child.read()
    child.close()
    return child.exitstatus, output


def in_pipe(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*S3CACHE, *args],
        cwd=REPO,
        env=environment(**env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_export_then_import_on_a_terminal(bucket, local_fixture, tmp_path) -> None:
    source = local_fixture("run-max")
    status, output = in_terminal(
        "export", str(source), "--cache-to", bucket.spec(name="pty")
    )

    assert status == 0, output
    assert re.search(r"uploading .*━.* \d/6 blobs .*MiB.* ETA", output)
    lines = screen(output)
    assert not any("━" in line for line in lines), "the bar is left on screen"
    assert re.fullmatch(r"uploaded 6/6 blobs, 1\.5 MiB in [\d.]+s \(.*/s\)", lines[0])
    assert lines[1].startswith(f"exported {source}")

    target = tmp_path / "imported"
    status, output = in_terminal(
        "import", str(target), "--cache-from", bucket.spec(name="pty")
    )

    assert status == 0, output
    lines = screen(output)
    assert not any("━" in line for line in lines)
    url = f"s3://{bucket.name}/manifests/pty"
    assert lines[0] == f"importing cache 'pty' from {url}"
    assert re.fullmatch(r"downloaded 6/6 blobs, 1\.5 MiB in .*", lines[1])
    assert lines[2] == f"imported cache 'pty' from {url}"


def test_a_log_gets_plain_lines(bucket, local_fixture) -> None:
    completed = in_pipe(
        "export", str(local_fixture("run-max")), "--cache-to", bucket.spec()
    )

    assert completed.returncode == 0, completed.stderr
    assert "\r" not in completed.stderr
    assert "\x1b" not in completed.stderr + completed.stdout
    assert completed.stderr.splitlines()[0] == "uploading 6 blobs, 1.5 MiB"


def test_dumb_terminal_gets_plain_lines(bucket, local_fixture) -> None:
    status, output = in_terminal(
        "export",
        str(local_fixture("run-max")),
        "--cache-to",
        bucket.spec(),
        TERM="dumb",
    )

    assert status == 0, output
    assert bare_carriage_returns(output) == 0
    assert "\x1b" not in output
    assert output.splitlines()[0] == "uploading 6 blobs, 1.5 MiB"


def test_json_is_one_document_and_nothing_else(bucket, local_fixture) -> None:
    completed = in_pipe(
        "export",
        str(local_fixture("run-max")),
        "--json",
        "-v",
        "--cache-to",
        bucket.spec(name="json", compression="zstd"),
    )

    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["schema_version"] == 1
    assert completed.stdout == json.dumps(document, indent=2) + "\n"
    assert "warning: --cache-to: compression ignored" in completed.stderr


def test_a_github_actions_step(bucket, local_fixture, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    spec = bucket.spec(name="ci", compression="zstd")
    completed = in_pipe(
        "export", str(local_fixture("run-max")), "--cache-to", spec, **env
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0] == (
        "::warning title=s3cache export::--cache-to: compression ignored: "
        "it does not apply to type=s3"
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### ✅ s3cache export: done in ")
    assert "| blobs | 6 sent (1.5 MiB), 0 touched, 0 already there |" in text
    assert f"| to | `s3://{bucket.name}/` |" in text


def test_a_missing_cache_in_github_actions(bucket, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    spec = bucket.spec(name="nothing")
    completed = in_pipe("import", str(tmp_path / "dir"), "--cache-from", spec, **env)

    assert completed.returncode == 3
    assert completed.stdout.startswith("::error title=s3cache import::")
    assert summary.read_text(encoding="utf-8").startswith(
        "### ❌ s3cache import: failed (exit 3) after "
    )


def test_verbose_names_the_credential_source(bucket, local_fixture, tmp_path) -> None:
    spec = bucket.spec(name="v")
    runs = [
        ("export", str(local_fixture("run-max")), "--cache-to", spec),
        ("import", str(tmp_path / "v"), "--cache-from", spec),
        ("inspect", "--cache-from", spec),
        ("prune", "--dry-run", "--cache-to", spec),
    ]
    for args in runs:
        completed = in_pipe(*args, "-v")
        assert completed.returncode == 0, completed.stderr
        assert "environment variables (AWS_ACCESS_KEY_ID)" in completed.stderr, args


def test_quiet_shows_nothing_but_the_result(bucket, local_fixture) -> None:
    spec = bucket.spec(name="q", compression="zstd")
    completed = in_pipe(
        "export", str(local_fixture("run-max")), "-q", "--cache-to", spec
    )

    assert completed.returncode == 0
    assert completed.stderr == ""
    assert completed.stdout.startswith("exported ")
