"""A cache directory whose ``blobs`` folder (or ``blobs/<algorithm>``) is a
symbolic link is refused by every command, wherever the link leads.

Following it in one command and not in another made import write blobs that
export, inspect and prune then refused to read.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def blobs_out(root: Path, spare: Path) -> Path:
    (root / "blobs").rename(spare / "blobs")
    (root / "blobs").symlink_to(spare / "blobs", target_is_directory=True)
    return root / "blobs"


def blobs_in(root: Path, spare: Path) -> Path:
    (root / "blobs").rename(root / "store")
    (root / "blobs").symlink_to("store", target_is_directory=True)
    return root / "blobs"


def sha256_out(root: Path, spare: Path) -> Path:
    (root / "blobs" / "sha256").rename(spare / "sha256")
    (root / "blobs" / "sha256").symlink_to(spare / "sha256", target_is_directory=True)
    return root / "blobs" / "sha256"


def sha512_in(root: Path, spare: Path) -> Path:
    (root / "elsewhere").mkdir()
    (root / "blobs" / "sha512").symlink_to("../elsewhere", target_is_directory=True)
    return root / "blobs" / "sha512"


LINKS = [
    pytest.param(blobs_out, id="blobs-leads-out"),
    pytest.param(blobs_in, id="blobs-leads-inside"),
    pytest.param(sha256_out, id="sha256-leads-out"),
    pytest.param(sha512_in, id="sha512-leads-inside"),
]


@pytest.fixture
def linked(local_fixture, tmp_path: Path):
    """``linked(link)``: the run-max cache with one blob folder made a link."""

    def make(link: Callable[[Path, Path], Path]) -> tuple[Path, Path]:
        root = local_fixture("run-max")
        spare = tmp_path / "spare"
        spare.mkdir()
        return root, link(root, spare)

    return make


def snapshot(root: Path) -> dict[str, bytes | str]:
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else "dir"
        for path in sorted(root.rglob("*"))
    }


def assert_refused(result, link: Path) -> None:
    assert result.exit_code == 1, result.output
    assert f"error: {link} is a symbolic link (to " in result.stderr
    assert "refused" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("link", LINKS)
def test_export_refuses_it(run_cli, bucket, linked, link) -> None:
    root, path = linked(link)

    result = run_cli("export", str(root), "--cache-to", bucket.spec(name="app"))

    assert_refused(result, path)
    assert bucket.keys() == []


@pytest.mark.parametrize("link", LINKS)
def test_inspect_refuses_it(run_cli, linked, link) -> None:
    root, path = linked(link)

    result = run_cli("inspect", "--cache-from", f"type=local,src={root}")

    assert_refused(result, path)


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("mode", ["--force", "--dry-run"])
def test_prune_refuses_it_and_deletes_nothing(run_cli, linked, link, mode) -> None:
    root, path = linked(link)
    before = snapshot(root)

    result = run_cli(
        "prune", mode, "--all", "--grace", "0s", "--cache-to", f"type=local,dest={root}"
    )

    assert_refused(result, path)
    assert snapshot(root) == before


@pytest.mark.parametrize("link", LINKS)
def test_import_refuses_it_before_reading_s3(
    run_cli, buildkit_s3_bucket, linked, link
) -> None:
    root, path = linked(link)
    before = snapshot(root)

    result = run_cli(
        "import", "--cache-from", buildkit_s3_bucket.spec(name="app"), str(root)
    )

    assert_refused(result, path)
    assert "importing cache" not in result.stderr
    assert snapshot(root) == before


def test_import_into_a_directory_without_blobs_yet_works(
    run_cli, buildkit_s3_bucket, tmp_path: Path
) -> None:
    root = tmp_path / "new"

    result = run_cli(
        "import", "--cache-from", buildkit_s3_bucket.spec(name="app"), str(root)
    )

    assert result.exit_code == 0, result.output
    assert not (root / "blobs").is_symlink()


def test_the_same_directory_with_the_folder_put_back_works(
    run_cli, linked, tmp_path: Path
) -> None:
    root, path = linked(blobs_out)
    target = path.resolve()
    path.unlink()
    shutil.move(target, path)

    result = run_cli("inspect", "--check", "--cache-from", f"type=local,src={root}")

    assert result.exit_code == 0, result.output
