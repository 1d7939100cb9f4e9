from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from s3cache_cli.digest import Digest
from s3cache_cli.errors import OperationFailed, UsageError
from s3cache_cli.oci import mediatypes as mt
from s3cache_cli.oci.layout import WRITTEN_ANNOTATION
from s3cache_cli.oci.writer import (
    Blob,
    ManifestForm,
    blob_path,
    blob_state,
    build_manifest,
    go_json,
    index_lock,
    prepare_layout,
    read_index,
    update_index,
    with_tag,
    write_blob,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "local"
RUN_MAX_INDEX = "c130cf15e3dc40a9b1be8ab3f9cc62f0dea40b815e28d44a3121da2079a65ceb"
RUN_MAX_CONFIG = "38154d6f9a5b9fdecdfad40664de50e07421aaab73dd4ad185246ee4fdf83e60"


def fixture_blob(name: str, hex_digest: str) -> bytes:
    return (FIXTURES / name / "blobs" / "sha256" / hex_digest).read_bytes()


def run_max_parts() -> tuple[Blob, list[dict]]:
    index = json.loads(fixture_blob("run-max", RUN_MAX_INDEX))
    config = Blob(mt.CACHE_CONFIG, fixture_blob("run-max", RUN_MAX_CONFIG))
    return config, index["manifests"][:-1]


def sha256(data: bytes) -> Digest:
    return Digest("sha256", hashlib.sha256(data).hexdigest())


def entry(tag: str, digest: str = "sha256:" + "a" * 64) -> dict:
    return {
        "mediaType": mt.OCI_INDEX,
        "digest": digest,
        "size": 10,
        "annotations": {mt.REF_NAME_ANNOTATION: tag},
    }


def test_the_image_index_is_byte_identical_to_buildkits() -> None:
    config, layers = run_max_parts()

    manifest = build_manifest(config, layers, ManifestForm())

    assert manifest.data == fixture_blob("run-max", RUN_MAX_INDEX)
    assert str(manifest.digest) == f"sha256:{RUN_MAX_INDEX}"
    assert manifest.media_type == mt.OCI_INDEX


def test_image_manifest_form_has_config_and_layers() -> None:
    config, layers = run_max_parts()

    manifest = build_manifest(config, layers, ManifestForm(image_manifest=True))
    document = json.loads(manifest.data)

    assert list(document) == ["schemaVersion", "mediaType", "config", "layers"]
    assert document["schemaVersion"] == 2
    assert document["mediaType"] == mt.OCI_MANIFEST
    assert document["config"] == config.descriptor()
    assert document["layers"] == layers


def test_docker_form_uses_docker_media_types_as_buildkit_does() -> None:
    buildkit = json.loads(
        fixture_blob(
            "copy-dockermt-2tags",
            "115086526a21411e8eb821ae1887945454fc1d6705da2377afa2cc1a7e436d4e",
        )
    )
    oci_twin = json.loads(
        fixture_blob(
            "copy-dockermt-2tags",
            "a51958bc27b54c8bbbcb2679810d82694e4429641e96a9a9f8be5c9724525380",
        )
    )
    config_descriptor = oci_twin["manifests"][-1]
    config = Blob(
        mt.CACHE_CONFIG,
        fixture_blob("copy-dockermt-2tags", config_descriptor["digest"][7:]),
    )

    manifest = build_manifest(
        config, oci_twin["manifests"][:-1], ManifestForm(oci_mediatypes=False)
    )

    assert json.loads(manifest.data) == buildkit
    assert manifest.media_type == mt.DOCKER_MANIFEST_LIST


def test_image_manifest_with_docker_types_is_refused() -> None:
    with pytest.raises(UsageError, match="image-manifest=true needs OCI"):
        ManifestForm(image_manifest=True, oci_mediatypes=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"a": 1, "b": [1, 2]}, b'{"a":1,"b":[1,2]}', id="compact"),
        pytest.param({"t": "<&>"}, b'{"t":"\\u003c\\u0026\\u003e"}', id="html-safe"),
        pytest.param({"t": "é"}, '{"t":"é"}'.encode(), id="raw-utf8"),
        pytest.param({"t": "\u2028"}, b'{"t":"\\u2028"}', id="line-separator"),
    ],
)
def test_json_is_written_as_go_writes_it(value: object, expected: bytes) -> None:
    assert go_json(value) == expected


def test_a_new_tag_is_added_after_the_others() -> None:
    index = {"schemaVersion": 2, "manifests": [entry("oci"), entry("old")]}
    manifest = Blob(mt.OCI_INDEX, b"{}")

    document = with_tag(index, manifest, "new")

    tags = [e["annotations"][mt.REF_NAME_ANNOTATION] for e in document["manifests"]]
    assert tags == ["oci", "old", "new"]
    assert document["manifests"][:2] == index["manifests"]


def test_an_existing_tag_is_replaced_in_place() -> None:
    index = {"schemaVersion": 2, "manifests": [entry("a"), entry("b"), entry("c")]}
    manifest = Blob(mt.OCI_MANIFEST, b"{}")

    document = with_tag(index, manifest, "b")

    assert document["manifests"][0] == entry("a")
    assert document["manifests"][1]["digest"] == str(manifest.digest)
    assert document["manifests"][1]["mediaType"] == mt.OCI_MANIFEST
    assert document["manifests"][2] == entry("c")


def test_entries_without_a_tag_are_kept() -> None:
    untagged = {"mediaType": mt.OCI_INDEX, "digest": "sha256:" + "b" * 64, "size": 1}
    index = {"schemaVersion": 2, "manifests": [untagged]}

    document = with_tag(index, Blob(mt.OCI_INDEX, b"{}"), "latest")

    assert document["manifests"][0] == untagged
    assert len(document["manifests"]) == 2


def test_index_json_is_written_as_current_buildkit_writes_it(tmp_path: Path) -> None:
    config, layers = run_max_parts()
    manifest = build_manifest(config, layers, ManifestForm(image_manifest=True))
    (tmp_path / "index.json").write_bytes(
        (FIXTURES / "run-max-v0.32" / "index.json").read_bytes()
    )

    update_index(tmp_path, manifest, "latest")

    expected = (FIXTURES / "run-max-v0.32" / "index.json").read_bytes()
    expected = expected.replace(
        b"97e96ca7428de27b9ce7d9729eff892ccd2a082fb5982a7a0e29ceb81366bed3",
        manifest.digest.hex.encode(),
    ).replace(b'"size":2219', f'"size":{len(manifest.data)}'.encode())
    # Go writes map keys sorted: the time comes before the tag.
    written = json.loads((tmp_path / "index.json").read_bytes())["manifests"][0][
        "annotations"
    ][WRITTEN_ANNOTATION]
    expected = expected.replace(
        b'"annotations":{',
        f'"annotations":{{"{WRITTEN_ANNOTATION}":"{written}",'.encode(),
    )
    assert (tmp_path / "index.json").read_bytes() == expected


def test_update_leaves_no_temporary_or_lock_file(tmp_path: Path) -> None:
    update_index(tmp_path, Blob(mt.OCI_INDEX, b"{}"), "latest")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json"]


def test_a_broken_index_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json")

    with pytest.raises(OperationFailed, match=r"index\.json is not valid JSON"):
        update_index(tmp_path, Blob(mt.OCI_INDEX, b"{}"), "latest")

    assert (tmp_path / "index.json").read_text() == "{not json"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[]", id="array"),
        pytest.param(b'{"manifests": {}}', id="manifests-object"),
    ],
)
def test_an_index_of_the_wrong_shape_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "index.json").write_bytes(content)

    with pytest.raises(OperationFailed, match="not an OCI image index"):
        read_index(tmp_path)


def test_no_index_reads_as_none(tmp_path: Path) -> None:
    assert read_index(tmp_path) is None


def hold_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_the_index_is_not_written_while_another_process_holds_the_lock(
    tmp_path: Path,
) -> None:
    fd = hold_lock(tmp_path / "index.json.lock")
    waited = threading.Event()
    writer = threading.Thread(
        target=update_index,
        args=(tmp_path, Blob(mt.OCI_INDEX, b"{}"), "latest"),
        kwargs={"on_wait": waited.set},
    )
    writer.start()

    assert waited.wait(5)
    time.sleep(0.3)
    assert not (tmp_path / "index.json").exists()

    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    writer.join(5)
    assert (tmp_path / "index.json").exists()


def test_a_lock_that_is_never_released_times_out(tmp_path: Path) -> None:
    fd = hold_lock(tmp_path / "index.json.lock")
    try:
        with (
            pytest.raises(OperationFailed, match="locked by another process"),
            index_lock(tmp_path, timeout=0.3),
        ):
            pass
    finally:
        os.close(fd)


def test_a_lock_on_a_lock_file_deleted_meanwhile_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BuildKit unlinks index.json.lock when it is done. If that happens
    # between our open and our flock, we lock a file nobody else can see
    # while the next BuildKit locks a new one: the lock must be taken again.
    from s3cache_cli.oci import writer

    path = tmp_path / "index.json.lock"
    real_try_flock = writer._try_flock
    newcomer: list[int] = []

    def buildkit_finishes_in_between(fd: int) -> bool:
        if not newcomer:
            path.unlink()
            newcomer.append(hold_lock(path))
        return real_try_flock(fd)

    monkeypatch.setattr(writer, "_try_flock", buildkit_finishes_in_between)
    entered = threading.Event()

    def take() -> None:
        with index_lock(tmp_path, timeout=5):
            entered.set()

    thread = threading.Thread(target=take)
    thread.start()

    assert not entered.wait(0.5)
    os.close(newcomer[0])
    assert entered.wait(5)
    thread.join(5)


def test_prepare_layout_writes_oci_layout_once(tmp_path: Path) -> None:
    root = tmp_path / "new" / "cache"

    prepare_layout(root)
    prepare_layout(root)

    assert (root / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'
    assert (root / "blobs" / "sha256").is_dir()


def test_an_existing_oci_layout_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}\n')

    prepare_layout(tmp_path)

    assert (tmp_path / "oci-layout").read_text() == '{"imageLayoutVersion": "1.0.0"}\n'


def test_write_blob_places_a_read_only_file_named_by_its_digest(
    tmp_path: Path,
) -> None:
    prepare_layout(tmp_path)
    blob = Blob(mt.CACHE_CONFIG, b'{"layers":[]}')

    assert write_blob(tmp_path, blob) is True

    path = blob_path(tmp_path, blob.digest)
    assert path.read_bytes() == blob.data
    assert path.stat().st_mode & 0o777 == 0o444
    assert write_blob(tmp_path, blob) is False


def test_write_blob_replaces_a_corrupt_copy(tmp_path: Path) -> None:
    prepare_layout(tmp_path)
    blob = Blob(mt.CACHE_CONFIG, b'{"layers":[]}')
    blob_path(tmp_path, blob.digest).write_bytes(b'{"layers":[1]}')

    assert blob_state(tmp_path, blob.digest, len(blob.data)) == "corrupt"
    assert write_blob(tmp_path, blob) is True
    assert blob_state(tmp_path, blob.digest, len(blob.data)) == "valid"


def test_blob_state_of_a_missing_blob(tmp_path: Path) -> None:
    assert blob_state(tmp_path, sha256(b"x"), 1) == "missing"


def test_blob_path_follows_the_algorithm(tmp_path: Path) -> None:
    digest = Digest("sha512", "0" * 128)

    assert blob_path(tmp_path, digest) == tmp_path / "blobs" / "sha512" / ("0" * 128)
