from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from devtools.demo import REPO, compare_layouts

FIXTURES = Path(__file__).parent / "fixtures" / "local"


def test_the_demo_runs_the_round_trip_and_passes() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "devtools.demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    steps = [line.split(" ", 1)[0] for line in lines if line[:1].isdigit()]
    assert steps == ["1.", "2.", "3.", "4.", "5."]
    for command in ("export", "inspect --check", "import"):
        assert any(line.startswith(f"   $ s3cache {command} --") for line in lines)
    assert "   |   every blob is present" in lines
    assert "   |   6 blobs: 6 downloaded (1.5 MiB), 0 already present" in lines
    assert lines[-1].startswith("OK: the imported cache holds the same blobs")


def test_a_cache_equals_itself() -> None:
    assert compare_layouts(FIXTURES / "run-max", FIXTURES / "run-max") == []


def test_another_build_differs_in_every_blob() -> None:
    differences = compare_layouts(FIXTURES / "run-max-v0.32", FIXTURES / "run-max")

    assert (
        "blob 38154d6f9a5b9fdecdfad40664de50e07421aaab73dd4ad185246ee4fdf83e60 "
        "is missing" in differences
    )
    assert any(d.startswith("config sha256:204ae571") for d in differences)
    assert "the layer descriptors differ" in differences


def test_a_changed_blob_is_reported(local_fixture) -> None:
    ours = local_fixture("run-max")
    layer = (
        ours
        / "blobs"
        / "sha256"
        / ("cd067d7b15b53ac5effd16c1419440dfa9a0b4731678103cbc391c7ed210b76c")
    )
    layer.write_bytes(b"something else")

    assert compare_layouts(ours, FIXTURES / "run-max") == [
        "blob cd067d7b15b53ac5effd16c1419440dfa9a0b4731678103cbc391c7ed210b76c "
        "has other bytes"
    ]


def test_a_missing_tag_is_reported(local_fixture) -> None:
    ours = local_fixture("run-max")
    index = json.loads((ours / "index.json").read_bytes())
    index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] = "v1"
    (ours / "index.json").write_text(json.dumps(index))

    (difference,) = compare_layouts(ours, FIXTURES / "run-max")

    assert difference.startswith("cannot read the cache tagged 'latest'")
