"""Every place a local path enters, with each way the path can be wrong.

A directory that does not exist, a file where a directory belongs, a folder
without ``index.json`` and one the user may not read each get a message that
names the path, and the exit status the README's table gives.

Root reads every file whatever its mode, so as root the permission cases run
the command with the capabilities that let it do so taken away.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliResult

# Refused before any connection: nothing listens on port 9.
NOWHERE = "type=s3,bucket=b,region=us-east-1,endpoint_url=http://127.0.0.1:9"
NO_OVERRIDE = "--bounding-set=-dac_override,-dac_read_search"

# How each command takes a directory to read: {path} is filled in.
READERS = [
    pytest.param(["export", "{path}", "--cache-to", NOWHERE], id="export-DIR"),
    pytest.param(
        ["export", "--cache-from", "type=local,src={path}", "--cache-to", NOWHERE],
        id="export-cache-from",
    ),
    pytest.param(["inspect", "--cache-from", "type=local,src={path}"], id="inspect"),
    pytest.param(
        ["prune", "--dry-run", "--cache-to", "type=local,dest={path}"],
        id="prune-cache-to",
    ),
    pytest.param(
        ["prune", "-f", "--cache-from", "type=local,src={path}"],
        id="prune-cache-from",
    ),
]

WANTED = "hint: give the directory a build wrote with --cache-to type=local,dest=DIR"


def filled(args: list[str], path: Path) -> list[str]:
    return [arg.format(path=path) for arg in args]


def run_unprivileged(*args: str) -> CliResult:
    """Run s3cache in a process that file modes bind, even as root."""
    command = [sys.executable, "-m", "s3cache_cli", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("running as root needs setpriv (util-linux) to drop privileges")
        command = [setpriv, NO_OVERRIDE, *command]

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cache_dir(local_fixture) -> Path:
    return local_fixture("run-max")


@pytest.mark.parametrize("args", READERS)
def test_a_path_that_does_not_exist_says_so(run_cli, tmp_path, args) -> None:
    missing = tmp_path / "nowhere"

    result = run_cli(*filled(args, missing))

    assert result.exit_code == 3, result.output
    assert f"error: {missing} does not exist\n{WANTED}" in result.stderr
    assert "not a directory" not in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_a_path_under_a_file_does_not_exist(run_cli, tmp_path, args) -> None:
    (tmp_path / "file").write_text("")
    missing = tmp_path / "file" / "cache"

    result = run_cli(*filled(args, missing))

    assert result.exit_code == 3, result.output
    assert f"error: {missing} does not exist\n" in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_a_file_is_not_a_directory(run_cli, tmp_path, args) -> None:
    a_file = tmp_path / "cache.tar"
    a_file.write_text("")

    result = run_cli(*filled(args, a_file))

    assert result.exit_code == 3, result.output
    assert f"error: {a_file} is a file, not a directory\n{WANTED}" in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_index_json_itself_points_at_its_directory(run_cli, cache_dir, args) -> None:
    index = cache_dir / "index.json"

    result = run_cli(*filled(args, index))

    assert result.exit_code == 3, result.output
    assert f"error: {index} is a file, not a directory\n" in result.stderr
    assert f"hint: give the directory that holds it: {cache_dir}\n" in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_a_directory_without_index_json_holds_no_cache(run_cli, tmp_path, args) -> None:
    result = run_cli(*filled(args, tmp_path))

    assert result.exit_code == 3, result.output
    assert f"error: {tmp_path} holds no cache: index.json is missing\n" in (
        result.stderr
    )
    assert WANTED in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_a_directory_that_may_not_be_read_is_named(cache_dir, args) -> None:
    cache_dir.chmod(0o000)
    try:
        result = run_unprivileged(*filled(args, cache_dir))
    finally:
        cache_dir.chmod(0o755)

    assert result.exit_code == 4, result.stderr
    assert f"error: cannot read {cache_dir}: permission denied\n" in result.stderr
    assert "hint: s3cache must read the directory and its files" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", READERS)
def test_an_index_json_that_may_not_be_read_is_named(cache_dir, args) -> None:
    index = cache_dir / "index.json"
    index.chmod(0o000)

    result = run_unprivileged(*filled(args, cache_dir))

    assert result.exit_code == 4, result.stderr
    assert f"error: cannot read {index}: permission denied\n" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(
            ["inspect", "--cache-from", "type=local,src={path}"], id="inspect"
        ),
        pytest.param(
            ["prune", "-f", "--cache-to", "type=local,dest={path}"], id="prune"
        ),
    ],
)
def test_a_blob_folder_that_may_not_be_listed_is_named(cache_dir, args) -> None:
    folder = cache_dir / "blobs" / "sha256"
    blobs_before = sorted(os.listdir(folder))
    folder.chmod(0o000)
    try:
        result = run_unprivileged(*filled(args, cache_dir))
    finally:
        folder.chmod(0o755)

    assert result.exit_code == 4, result.stderr
    assert f"{folder}" in result.stderr
    assert "permission denied" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(os.listdir(folder)) == blobs_before


def test_ignore_error_turns_a_missing_directory_into_a_warning(
    run_cli, tmp_path
) -> None:
    missing = tmp_path / "nowhere"

    result = run_cli(
        "export", "--cache-from", f"type=local,src={missing},ignore-error=true",
        "--cache-to", NOWHERE,
    )  # fmt: skip

    assert result.exit_code == 0
    assert f"{missing} does not exist" in result.stderr


# The directory import writes into: missing is fine (it is created), the rest
# is refused before any request to S3 (NOWHERE would fail the command).

WRITERS = [
    pytest.param(["import", "--cache-from", NOWHERE, "{path}"], id="import-DIR"),
    pytest.param(
        ["import", "--cache-from", NOWHERE, "--cache-to", "type=local,dest={path}"],
        id="import-cache-to",
    ),
]


@pytest.mark.parametrize("args", WRITERS)
def test_import_into_a_file_is_refused_before_reading_s3(
    run_cli, tmp_path, args
) -> None:
    a_file = tmp_path / "cache"
    a_file.write_text("keep me")

    result = run_cli(*filled(args, a_file))

    assert result.exit_code == 1, result.output
    assert f"error: {a_file} is a file, not a directory\n" in result.stderr
    assert "hint: dest= (or DIR) names the directory to write the cache into" in (
        result.stderr
    )
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize("args", WRITERS)
def test_import_into_a_broken_index_json_is_refused_before_reading_s3(
    run_cli, tmp_path, args
) -> None:
    (tmp_path / "index.json").write_text("{not json")

    result = run_cli(*filled(args, tmp_path))

    assert result.exit_code == 1, result.output
    assert f"error: {tmp_path / 'index.json'} is not valid JSON" in result.stderr
    assert (tmp_path / "index.json").read_text() == "{not json"


@pytest.mark.parametrize("args", WRITERS)
def test_import_into_a_directory_that_may_not_be_written_is_refused(
    tmp_path, args
) -> None:
    target = tmp_path / "cache"
    target.mkdir()
    target.chmod(0o555)
    try:
        result = run_unprivileged(*filled(args, target))
    finally:
        target.chmod(0o755)

    assert result.exit_code == 4, result.stderr
    assert f"error: cannot write the cache into {target}: permission denied\n" in (
        result.stderr
    )
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("args", WRITERS)
def test_import_into_an_index_json_that_may_not_be_read_is_refused(
    tmp_path, args
) -> None:
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"schemaVersion": 2, "manifests": []}))
    index.chmod(0o000)

    result = run_unprivileged(*filled(args, tmp_path))

    assert result.exit_code == 4, result.stderr
    assert (
        f"error: cannot write the cache into {tmp_path}: permission denied ({index})"
    ) in result.stderr
