"""Jobs that share a bucket or a directory and run at the same time.

Each job is the real CLI in a process of its own, started together; a seeded
delay moves one against the other, so the runs cross at different moments.
"""

from __future__ import annotations

import random
import subprocess
import time

import pytest

from tests.reliability import child
from tests.reliability.dataset import (
    Dataset,
    index_tags,
    local_problems,
    partial_files,
    s3_problems,
)


def start(*args: str, delay: float = 0.0) -> subprocess.Popen:
    time.sleep(delay)
    return child.start(*args)


def finish(process: subprocess.Popen) -> str:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


def shared_datasets(seed: int) -> tuple[Dataset, Dataset]:
    """Two caches with a blob in common and blobs of their own."""
    rng = random.Random(seed)
    common = rng.randbytes(40_000)
    first = Dataset((rng.randbytes(6 * 1024 * 1024), common, rng.randbytes(9_000)))
    second = Dataset((common, rng.randbytes(7 * 1024 * 1024), rng.randbytes(5_000)))
    return first, second


def run_together(seed: int, first: list[str], second: list[str]) -> None:
    delay = random.Random(seed).uniform(0, 0.4)
    processes = [start(*first), start(*second, delay=delay)]
    for process in processes:
        finish(process)


@pytest.mark.parametrize("seed", [1])
def test_two_exports_to_one_name_leave_one_whole_cache(
    bucket, tmp_path, small_transfers, seed: int
) -> None:
    first, second = shared_datasets(seed)
    manifests = {first.s3_manifest(tmp_path), second.s3_manifest(tmp_path)}
    spec = bucket.spec(name="main")

    run_together(
        seed,
        ["export", str(first.write_local(tmp_path / "a")), "--cache-to", spec],
        ["export", str(second.write_local(tmp_path / "b")), "--cache-to", spec],
    )

    assert bucket.keys("manifests/") == ["manifests/main"]
    assert bucket.get("manifests/main") in manifests
    assert s3_problems(bucket) == []


@pytest.mark.parametrize("seed", [3])
def test_export_and_prune_at_once_leave_every_manifest_whole(
    bucket, tmp_path, small_transfers, seed: int
) -> None:
    first, second = shared_datasets(seed)
    first.put_into(bucket, "main", tmp_path)
    Dataset((b"stale one", b"stale two")).put_into(bucket, "stale", tmp_path)

    run_together(
        seed,
        ["prune", "--force", "--all", "--cache-to", bucket.spec()],
        [
            "export",
            str(second.write_local(tmp_path / "b")),
            "--cache-to",
            bucket.spec(name="main"),
        ],
    )

    assert s3_problems(bucket) == []
    left = bucket.keys("manifests/")
    assert left in ([], ["manifests/main"])
    if left:
        assert bucket.get("manifests/main") == second.s3_manifest(tmp_path)


@pytest.mark.parametrize("seed", [5])
def test_two_imports_into_one_directory_leave_it_valid(
    bucket, tmp_path, small_transfers, seed: int
) -> None:
    first, second = shared_datasets(seed)
    first.put_into(bucket, "main", tmp_path)
    second.put_into(bucket, "pr-1", tmp_path)
    dest = tmp_path / "imported"

    run_together(
        seed,
        [
            "import",
            "--cache-from",
            bucket.spec(name="main"),
            "--cache-to",
            f"type=local,dest={dest},tag=main",
        ],
        [
            "import",
            "--cache-from",
            bucket.spec(name="pr-1"),
            "--cache-to",
            f"type=local,dest={dest},tag=pr-1",
        ],
    )

    assert local_problems(dest) == []
    assert partial_files(dest) == []
    assert sorted(index_tags(dest)) == ["main", "pr-1"]


@pytest.mark.parametrize("seed", [7])
def test_the_same_import_twice_at_once_gives_one_valid_tag(
    bucket, tmp_path, small_transfers, seed: int
) -> None:
    first, _ = shared_datasets(seed)
    first.put_into(bucket, "main", tmp_path)
    dest = tmp_path / "imported"
    args = ["import", "--cache-from", bucket.spec(name="main"), str(dest)]

    run_together(seed, args, args)

    assert local_problems(dest) == []
    assert partial_files(dest) == []
    assert list(index_tags(dest)) == ["latest"]


@pytest.mark.heavy
@pytest.mark.parametrize("seed", range(20, 30))
def test_exports_prunes_and_imports_at_once_many_times(
    bucket, tmp_path, small_transfers, seed: int
) -> None:
    first, second = shared_datasets(seed)
    first.put_into(bucket, "main", tmp_path)
    dest = tmp_path / "imported"
    processes = [
        start(
            "export",
            str(second.write_local(tmp_path / "b")),
            "--cache-to",
            bucket.spec(name="main"),
        ),
        start(
            "prune",
            "--force",
            "--all",
            "--cache-to",
            bucket.spec(),
            delay=random.Random(seed).uniform(0, 0.3),
        ),
        start(
            "export",
            str(first.write_local(tmp_path / "a")),
            "--cache-to",
            bucket.spec(name="main"),
        ),
        start("import", "--cache-from", bucket.spec(name="main"), str(dest)),
    ]
    for process in processes:
        process.communicate(timeout=120)
        assert process.returncode in (0, 3)

    assert s3_problems(bucket) == []
    assert local_problems(dest) == []
    assert partial_files(dest) == []
