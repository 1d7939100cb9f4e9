"""The composite action: its inputs, and its run script executed by bash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ACTION = (REPO / "action.yml").read_text(encoding="utf-8")


def run_scripts(text: str) -> list[str]:
    """The body of each ``run: |`` block, dedented."""
    scripts = []
    for match in re.finditer(r"^( *)run: \|\n((?:\1  .*\n|\n)+)", text, re.M):
        indent = len(match.group(1)) + 2
        lines = [line[indent:] for line in match.group(2).splitlines()]
        scripts.append("\n".join(lines).strip() + "\n")
    return scripts


def input_names(text: str) -> list[str]:
    block = text.split("\ninputs:\n", 1)[1].split("\nruns:\n", 1)[0]
    return re.findall(r"^  ([a-z-]+):$", block, re.M)


def test_inputs_are_named_like_the_flags() -> None:
    assert input_names(ACTION) == ["command", "dir", "cache-to", "cache-from", "args"]


def test_it_installs_from_its_own_checkout_with_pip() -> None:
    install = run_scripts(ACTION)[0]

    assert 'pip" install' in install
    assert '"${{ github.action_path }}"' in install
    assert 'echo "$S3CACHE_VENV/bin" >> "$GITHUB_PATH"' in install


def test_flag_inputs_fall_back_to_the_variables() -> None:
    assert "S3CACHE_CACHE_TO: ${{ inputs.cache-to || env.S3CACHE_CACHE_TO }}" in ACTION
    assert (
        "S3CACHE_CACHE_FROM: ${{ inputs.cache-from || env.S3CACHE_CACHE_FROM }}"
        in ACTION
    )


@pytest.fixture
def recording_s3cache(tmp_path: Path) -> dict[str, str]:
    """An ``s3cache`` on PATH that prints its arguments and the two variables."""
    program = tmp_path / "bin" / "s3cache"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do echo "arg: $arg"; done\n'
        'echo "to: $S3CACHE_CACHE_TO"\n'
    )
    program.chmod(0o755)
    return {"PATH": f"{program.parent}{os.pathsep}{os.environ['PATH']}"}


def run_step(env: dict[str, str], **inputs: str) -> subprocess.CompletedProcess[str]:
    """The action's s3cache step, with inputs as the runner would pass them."""
    step_env = {
        **env,
        "S3CACHE_COMMAND": inputs.get("command", ""),
        "S3CACHE_DIR": inputs.get("dir", ""),
        "S3CACHE_CACHE_TO": inputs.get("cache_to", ""),
        "S3CACHE_CACHE_FROM": inputs.get("cache_from", ""),
        "S3CACHE_ARGS": inputs.get("args", ""),
    }
    return subprocess.run(
        ["bash", "-c", run_scripts(ACTION)[1]],
        env=step_env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_export_with_a_directory_and_more_arguments(
    recording_s3cache: dict[str, str],
) -> None:
    completed = run_step(
        recording_s3cache,
        command="export",
        dir="/tmp/.buildx-cache new",
        cache_to="type=s3,bucket=b,region=r",
        args="-v --dry-run",
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "arg: export",
        "arg: /tmp/.buildx-cache new",
        "arg: -v",
        "arg: --dry-run",
        "to: type=s3,bucket=b,region=r",
    ]


def test_import_without_optional_inputs(recording_s3cache: dict[str, str]) -> None:
    completed = run_step(recording_s3cache, command="import")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["arg: import", "to: "]


def test_another_command_is_refused(recording_s3cache: dict[str, str]) -> None:
    completed = run_step(recording_s3cache, command="prune", args="--all --force")

    assert completed.returncode == 2
    assert completed.stdout == (
        "::error title=s3cache::command must be import or export\n"
    )


def test_the_step_runs_s3cache_export_and_import(
    bucket, local_fixture, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    exported = run_step(
        env,
        command="export",
        dir=str(local_fixture("run-max")),
        cache_to=bucket.spec(name="main"),
    )
    imported = run_step(
        env,
        command="import",
        dir=str(tmp_path / "imported"),
        cache_from=bucket.spec(name="pr-1;main"),
        args="-v",
    )

    assert exported.returncode == 0, exported.stderr
    assert imported.returncode == 0, imported.stderr
    assert (tmp_path / "imported" / "index.json").exists()
    sections = summary.read_text(encoding="utf-8").split("### ")[1:]
    assert [section.split(":")[0] for section in sections] == [
        "✅ s3cache export",
        "✅ s3cache import",
    ]
