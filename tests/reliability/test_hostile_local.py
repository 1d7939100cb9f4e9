"""Local cache directories that are broken or built to hurt, against export,
inspect and a local prune: a message and exit 1 (or 3), nothing sent to S3,
nothing outside the directory read through a link or deleted, no crash.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.dataset import Dataset
from tests.reliability.test_hostile_manifests import JSON

DATA = Dataset((b"first layer " * 100, b"second layer " * 100, b"third " * 100))


def blob_file(root: Path, data: bytes) -> Path:
    return root / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()


def write_index(root: Path, value: object) -> None:
    (root / "index.json").write_bytes(
        value if isinstance(value, bytes) else json.dumps(value).encode()
    )


def no_index(root: Path, outside: Path) -> None:
    (root / "index.json").unlink()


def index_not_json(root: Path, outside: Path) -> None:
    write_index(root, b"{not json")


def index_an_array(root: Path, outside: Path) -> None:
    write_index(root, [])


def index_entries_garbage(root: Path, outside: Path) -> None:
    write_index(
        root,
        {"manifests": [1, "x", None, {"digest": "sha256:../../../etc/passwd"}]},
    )


def index_names_a_missing_manifest(root: Path, outside: Path) -> None:
    index = json.loads((root / "index.json").read_bytes())
    manifest = root / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    manifest.unlink()


def index_is_a_link_out(root: Path, outside: Path) -> None:
    target = outside / "index.json"
    (root / "index.json").rename(target)
    (root / "index.json").symlink_to(target)


def index_too_big(root: Path, outside: Path) -> None:
    with (root / "index.json").open("ab") as stream:
        stream.truncate(65 * 1024 * 1024)  # trailing NULs: not read whole


def blob_is_a_link_out(root: Path, outside: Path) -> None:
    # The link leads to a file with the right bytes: only its place is wrong.
    path = blob_file(root, DATA.blobs[1])
    target = outside / path.name
    path.rename(target)
    path.symlink_to(target)


def blobs_folder_is_a_link_out(root: Path, outside: Path) -> None:
    target = outside / "blobs"
    (root / "blobs").rename(target)
    (root / "blobs").symlink_to(target)


def blob_of_the_wrong_size(root: Path, outside: Path) -> None:
    path = blob_file(root, DATA.blobs[0])
    path.write_bytes(path.read_bytes() + b"more")


def blob_with_other_bytes(root: Path, outside: Path) -> None:
    path = blob_file(root, DATA.blobs[0])
    data = bytearray(path.read_bytes())
    data[5] ^= 0xFF
    path.write_bytes(bytes(data))


def blob_missing(root: Path, outside: Path) -> None:
    blob_file(root, DATA.blobs[2]).unlink()


def blob_is_a_folder(root: Path, outside: Path) -> None:
    path = blob_file(root, DATA.blobs[2])
    path.unlink()
    path.mkdir()


DAMAGE: list = [
    pytest.param(no_index, id="no-index"),
    pytest.param(index_not_json, id="index-not-json"),
    pytest.param(index_an_array, id="index-an-array"),
    pytest.param(index_entries_garbage, id="index-entries-garbage"),
    pytest.param(index_names_a_missing_manifest, id="manifest-missing"),
    pytest.param(index_is_a_link_out, id="index-links-out"),
    pytest.param(index_too_big, id="index-too-big"),
    pytest.param(blob_is_a_link_out, id="blob-links-out"),
    pytest.param(blobs_folder_is_a_link_out, id="blobs-folder-links-out"),
    pytest.param(blob_of_the_wrong_size, id="blob-wrong-size"),
    pytest.param(blob_with_other_bytes, id="blob-other-bytes"),
    pytest.param(blob_missing, id="blob-missing"),
    pytest.param(blob_is_a_folder, id="blob-is-a-folder"),
]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry below ``root`` without following links: bytes or link target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


@pytest.fixture
def damaged(tmp_path):
    """``damaged(damage)``: the cache and a folder beside it that links lead to."""

    def make(damage: Callable[[Path, Path], None]) -> tuple[Path, Path]:
        root = DATA.write_local(tmp_path / "cache")
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "precious").write_bytes(b"not part of any cache")
        damage(root, outside)
        return root, outside

    return make


def one_error(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_directory_is_named_and_nothing_else_is_touched(
    cli, bucket, damaged, damage
) -> None:
    root, outside = damaged(damage)
    before, outside_before = snapshot(root), snapshot(outside)

    exported = cli("export", str(root), "--cache-to", bucket.spec(name="app"))
    inspected = cli("inspect", "--check", "--cache-from", f"type=local,src={root}")
    pruned = cli(
        "prune", "--force", "--grace", "0s", "--cache-to", f"type=local,dest={root}"
    )

    assert exported.exit_code in (1, 3), exported.output
    one_error(exported)
    assert bucket.keys() == []

    assert inspected.exit_code in (1, 3), inspected.output
    one_error(inspected)

    assert pruned.exit_code in (0, 1, 3), pruned.output
    if pruned.exit_code != 0:
        one_error(pruned)
        assert snapshot(root) == before
    else:
        # Nothing was unreferenced: every blob is named by the one tag.
        assert snapshot(root).keys() == before.keys()
    assert snapshot(outside) == outside_before


FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
INDEXES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {
            "manifests": st.lists(
                st.dictionaries(
                    st.sampled_from(["digest", "size", "mediaType", "annotations"]),
                    JSON,
                    max_size=4,
                ),
                max_size=3,
            )
        }
    ),
).map(lambda value: json.dumps(value).encode())


def check_random_index(cli, bucket, tmp_path_factory, index: bytes) -> None:
    root = DATA.write_local(tmp_path_factory.mktemp("random") / "cache")
    write_index(root, index)
    exported = cli("export", str(root), "--cache-to", bucket.spec(name="app"))
    inspected = cli("inspect", "--check", "--cache-from", f"type=local,src={root}")
    pruned = cli("prune", "--dry-run", "--all", "--cache-to", f"type=local,dest={root}")

    assert exported.exit_code in (1, 3), exported.output
    assert inspected.exit_code in (0, 1, 3), inspected.output
    assert pruned.exit_code in (0, 1, 3), pruned.output
    assert bucket.keys() == []


@FUZZ
@given(INDEXES)
def test_random_index_files_never_crash(cli, bucket, tmp_path_factory, index) -> None:
    check_random_index(cli, bucket, tmp_path_factory, index)


@pytest.mark.heavy
@settings(FUZZ, max_examples=300)
@given(INDEXES)
def test_random_index_files_never_crash_many_examples(
    cli, bucket, tmp_path_factory, index
) -> None:
    check_random_index(cli, bucket, tmp_path_factory, index)
