"""Blob paths are checked once per folder, and still per link."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import IntegrityError
from s3cache_cli.oci.layout import OciLayout


def blob_digests(root: Path) -> list:
    folder = root / "blobs" / "sha256"
    return [parse_digest(f"sha256:{path.name}") for path in sorted(folder.iterdir())]


def test_a_link_outside_is_refused_after_other_blobs_passed(
    tmp_path: Path, local_fixture
) -> None:
    root = local_fixture("run-max")
    layout = OciLayout(root)
    first, second = blob_digests(root)[:2]
    layout.blob_path(first)
    blob = layout.blob_path(second)
    outside = tmp_path / "elsewhere"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)

    with pytest.raises(IntegrityError, match="leads outside"):
        layout.blob_path(second)


def test_every_blob_of_a_folder_linked_outside_is_refused(
    tmp_path: Path, local_fixture
) -> None:
    root = local_fixture("run-max")
    moved = tmp_path / "moved-sha256"
    (root / "blobs" / "sha256").rename(moved)
    (root / "blobs" / "sha256").symlink_to(moved)
    layout = OciLayout(root)

    for digest in blob_digests(root):
        with pytest.raises(IntegrityError, match="leads outside"):
            layout.blob_path(digest)


def test_a_missing_blob_still_has_its_path(local_fixture) -> None:
    root = local_fixture("run-max")
    digest = parse_digest("sha256:" + "cd" * 32)

    path = OciLayout(root).blob_path(digest)

    assert path == root / "blobs" / "sha256" / ("cd" * 32)
    assert not path.exists()
