"""``s3cache import`` end to end: BuildKit's S3 export in, a local cache out."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from s3cache_cli.oci import mediatypes as mt
from tests.local_index import index_without_written, without_written

FIXTURES = Path(__file__).parent.parent / "fixtures"
RUN_MAX = FIXTURES / "local" / "run-max"
RUN_MAX_INDEX = "c130cf15e3dc40a9b1be8ab3f9cc62f0dea40b815e28d44a3121da2079a65ceb"
RUN_MAX_CONFIG = "38154d6f9a5b9fdecdfad40664de50e07421aaab73dd4ad185246ee4fdf83e60"
BIG_LAYER = "d783e84b8a9f5205a67b32c81aff543e2f40884777923a1ef0813be3511ef427"
S3_MANIFEST = FIXTURES / "s3" / "run-max" / "objects" / "manifests" / "app"


def blob_files(root: Path) -> dict[str, bytes]:
    directory = root / "blobs" / "sha256"
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def hidden_files(root: Path) -> list[Path]:
    return [path for path in root.rglob(".*")]


def index_entry(root: Path, tag: str) -> dict[str, Any]:
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [
        e
        for e in index["manifests"]
        if e.get("annotations", {}).get(mt.REF_NAME_ANNOTATION) == tag
    ]
    return entry


def tagged_manifest(root: Path, tag: str) -> dict[str, Any]:
    digest = index_entry(root, tag)["digest"]
    return json.loads((root / "blobs" / "sha256" / digest[7:]).read_bytes())


def run_max_layers() -> list[dict[str, Any]]:
    return tagged_manifest(RUN_MAX, "latest")["manifests"][:-1]


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def import_app(run_cli, buildkit_s3_bucket):
    """Run ``s3cache import`` from the bucket holding BuildKit's export."""

    def run(*args: str, **attributes: str):
        attributes.setdefault("name", "app")
        spec = buildkit_s3_bucket.spec(**attributes)
        return run_cli("import", "--cache-from", spec, *args)

    return run


def test_import_gives_the_directory_buildkit_exported(import_app, dest) -> None:
    result = import_app(str(dest))

    assert result.exit_code == 0, result.output
    assert blob_files(dest) == blob_files(RUN_MAX)
    assert without_written(index_entry(dest, "latest")) == index_entry(
        RUN_MAX, "latest"
    )
    assert (dest / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'
    assert sorted(p.name for p in dest.iterdir()) == [
        "blobs",
        "index.json",
        "oci-layout",
    ]


def test_index_json_is_written_as_current_buildkit_writes_it(import_app, dest) -> None:
    import_app(str(dest))

    assert index_without_written(dest) == {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [index_entry(RUN_MAX, "latest")],
    }


def test_the_summary_says_what_was_imported(
    import_app, dest, buildkit_s3_bucket
) -> None:
    result = import_app(str(dest))

    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"imported cache 'app' from s3://{buildkit_s3_bucket.name}/manifests/app",
        f"  into {dest}, tag latest (OCI image index sha256:{RUN_MAX_INDEX})",
        "  6 blobs: 6 downloaded (1.5 MiB), 0 already present",
    ]
    assert lines[3].startswith("  in ")
    assert lines[3].endswith("/s)")


def test_json_report(import_app, dest, buildkit_s3_bucket) -> None:
    result = import_app(str(dest), "--json")

    document = result.json
    assert document["schema_version"] == 1
    assert document["dry_run"] is False
    assert document["cache"] == {
        "name": "app",
        "bucket": buildkit_s3_bucket.name,
        "key": "manifests/app",
        "url": f"s3://{buildkit_s3_bucket.name}/manifests/app",
        "not_found": [],
    }
    assert document["destination"] == {
        "path": str(dest),
        "tag": "latest",
        "manifest": f"sha256:{RUN_MAX_INDEX}",
        "media_type": mt.OCI_INDEX,
    }
    assert document["blobs"] == {
        "total": 6,
        "downloaded": 6,
        "present": 0,
        "replaced": 0,
    }
    assert document["bytes"] == {"total": 1614690, "downloaded": 1614690}
    assert document["seconds"] > 0
    assert document["bytes_per_second"] > 0


def test_cache_to_with_image_manifest(import_app, dest) -> None:
    result = import_app("--cache-to", f"type=local,dest={dest},image-manifest=true")

    assert result.exit_code == 0, result.output
    manifest = tagged_manifest(dest, "latest")
    assert index_entry(dest, "latest")["mediaType"] == mt.OCI_MANIFEST
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == mt.OCI_MANIFEST
    assert manifest["config"] == {
        "mediaType": mt.CACHE_CONFIG,
        "digest": f"sha256:{RUN_MAX_CONFIG}",
        "size": 2202,
    }
    assert manifest["layers"] == run_max_layers()
    assert RUN_MAX_INDEX not in blob_files(dest)


def test_cache_to_with_docker_media_types(import_app, dest) -> None:
    result = import_app("--cache-to", f"type=local,dest={dest},oci-mediatypes=false")

    assert result.exit_code == 0, result.output
    manifest = tagged_manifest(dest, "latest")
    assert index_entry(dest, "latest")["mediaType"] == mt.DOCKER_MANIFEST_LIST
    assert manifest["mediaType"] == mt.DOCKER_MANIFEST_LIST
    assert [layer["mediaType"] for layer in manifest["manifests"][:-1]] == [
        mt.DOCKER_LAYER_GZIP
    ] * 6
    assert [
        {**layer, "mediaType": mt.OCI_LAYER_GZIP}
        for layer in manifest["manifests"][:-1]
    ] == run_max_layers()
    assert manifest["manifests"][-1]["mediaType"] == mt.CACHE_CONFIG


def test_image_manifest_with_docker_media_types_is_a_usage_error(
    import_app, dest
) -> None:
    result = import_app(
        "--cache-to",
        f"type=local,dest={dest},image-manifest=true,oci-mediatypes=false",
    )

    assert result.exit_code == 2
    assert not dest.exists()


def test_other_tags_in_the_directory_are_kept(import_app, local_fixture) -> None:
    dest = local_fixture("copy-dockermt-2tags")
    before = json.loads((dest / "index.json").read_bytes())["manifests"]

    result = import_app("--cache-to", f"type=local,dest={dest},tag=oci")

    assert result.exit_code == 0, result.output
    after = json.loads((dest / "index.json").read_bytes())["manifests"]
    assert after[0] == before[0]
    assert without_written(after[1]) == {
        **index_entry(RUN_MAX, "latest"),
        "annotations": {mt.REF_NAME_ANNOTATION: "oci"},
    }
    assert len(after) == 2


def test_a_new_tag_is_added_beside_the_others(import_app, local_fixture) -> None:
    dest = local_fixture("copy-dockermt-2tags")
    before = json.loads((dest / "index.json").read_bytes())["manifests"]

    import_app("--cache-to", f"type=local,dest={dest},tag=imported")

    after = json.loads((dest / "index.json").read_bytes())["manifests"]
    assert after[:2] == before
    assert without_written(after[2])["annotations"] == {
        mt.REF_NAME_ANNOTATION: "imported"
    }


def test_a_fallback_name_is_used_when_the_first_is_missing(import_app, dest) -> None:
    result = import_app(str(dest), name="missing;app")

    assert result.exit_code == 0, result.output
    assert "no cache 'missing' at s3://" in result.stderr
    assert "importing cache 'app'" in result.stderr
    assert "(not found before it: s3://" in result.stdout
    assert blob_files(dest) == blob_files(RUN_MAX)


def test_a_second_cache_from_is_tried_when_the_first_has_no_cache(
    run_cli, buildkit_s3_bucket, dest
) -> None:
    first = buildkit_s3_bucket.spec(name="pr-42", prefix="team1/")
    second = buildkit_s3_bucket.spec(name="app")

    result = run_cli(
        "import", "--cache-from", first, "--cache-from", second, "--json", str(dest)
    )

    assert result.exit_code == 0, result.output
    assert result.json["cache"]["name"] == "app"
    assert result.json["cache"]["not_found"] == [
        f"s3://{buildkit_s3_bucket.name}/team1/manifests/pr-42"
    ]


def test_a_missing_cache_exits_3_and_names_the_keys(import_app, dest) -> None:
    result = import_app(str(dest), name="pr-7;main")

    assert result.exit_code == 3
    assert "no cache found; tried s3://" in result.stderr
    assert "/manifests/pr-7, s3://" in result.stderr
    assert "/manifests/main" in result.stderr
    assert not dest.exists()


def test_a_missing_cache_with_ignore_error_is_a_warning(import_app, dest) -> None:
    result = import_app(str(dest), name="main", **{"ignore-error": "true"})

    assert result.exit_code == 0
    assert "warning: no cache found" in result.stderr
    assert "(ignored: ignore-error=true)" in result.stderr
    assert not dest.exists()


def test_a_corrupt_blob_fails_naming_it_and_leaves_index_json_alone(
    import_app, buildkit_s3_bucket, local_fixture
) -> None:
    dest = local_fixture("run-max-v0.32")
    index_before = (dest / "index.json").read_bytes()
    key = f"blobs/sha256:{BIG_LAYER}"
    corrupt = bytearray(buildkit_s3_bucket.get(key))
    corrupt[1000] ^= 0xFF
    buildkit_s3_bucket.put(key, bytes(corrupt))

    result = import_app(str(dest))

    assert result.exit_code == 1
    assert f"does not match sha256:{BIG_LAYER}" in result.stderr
    assert (dest / "index.json").read_bytes() == index_before
    assert not (dest / "blobs" / "sha256" / BIG_LAYER).exists()
    assert hidden_files(dest) == []


def test_a_present_valid_blob_is_not_downloaded_again(import_app, dest) -> None:
    import_app(str(dest))
    inodes = {p.name: p.stat().st_ino for p in (dest / "blobs" / "sha256").iterdir()}

    result = import_app(str(dest), "--json")

    assert result.json["blobs"]["downloaded"] == 0
    assert result.json["blobs"]["present"] == 6
    assert result.json["bytes"]["downloaded"] == 0
    after = {p.name: p.stat().st_ino for p in (dest / "blobs" / "sha256").iterdir()}
    assert after == inodes


def test_a_rerun_after_a_partial_import_fetches_only_the_rest(import_app, dest) -> None:
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    (blobs / BIG_LAYER).write_bytes(
        (RUN_MAX / "blobs" / "sha256" / BIG_LAYER).read_bytes()
    )

    result = import_app(str(dest), "--json")

    assert result.json["blobs"]["downloaded"] == 5
    assert result.json["blobs"]["present"] == 1
    assert blob_files(dest) == blob_files(RUN_MAX)


def test_a_present_corrupt_blob_is_replaced(import_app, dest) -> None:
    import_app(str(dest))
    path = dest / "blobs" / "sha256" / BIG_LAYER
    path.chmod(0o644)
    path.write_bytes(b"not the layer")

    result = import_app(str(dest), "--json")

    assert result.exit_code == 0, result.output
    assert result.json["blobs"]["downloaded"] == 1
    assert result.json["blobs"]["replaced"] == 1
    assert blob_files(dest) == blob_files(RUN_MAX)


def test_dry_run_writes_nothing(import_app, dest) -> None:
    result = import_app(str(dest), "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    assert result.json["dry_run"] is True
    assert result.json["blobs"]["downloaded"] == 6
    assert not dest.exists()


def test_dry_run_summary(import_app, dest) -> None:
    result = import_app(str(dest), "--dry-run")

    assert result.stdout.startswith("would import cache 'app'")
    assert "6 would download (1.5 MiB), 0 already present" in result.stdout
    assert not dest.exists()


@pytest.mark.parametrize(
    ("layer_change", "reason"),
    [
        pytest.param(
            {"blob": "sha256:../../../../tmp/escaped"},
            "invalid digest",
            id="dot-dot-digest",
        ),
        pytest.param(
            {"blob": "sha256:" + "A" * 64},
            "invalid digest",
            id="upper-case-digest",
        ),
        pytest.param({"parent": 0}, "its own parent", id="parent-loop"),
        pytest.param({"parent": 99}, "out of range", id="parent-out-of-range"),
    ],
)
def test_a_hostile_manifest_is_refused_before_anything_is_written(
    run_cli, bucket, dest, layer_change: dict, reason: str
) -> None:
    manifest = json.loads(S3_MANIFEST.read_bytes())
    manifest["layers"][0].update(layer_change)
    bucket.put("manifests/app", json.dumps(manifest).encode())

    result = run_cli("import", "--cache-from", bucket.spec(name="app"), str(dest))

    assert result.exit_code == 1
    assert reason in result.stderr.lower()
    assert not dest.exists()
    assert not Path("/tmp/escaped").exists()


def test_a_broken_index_json_is_refused_before_downloading(import_app, dest) -> None:
    dest.mkdir()
    (dest / "index.json").write_text("garbage")

    result = import_app(str(dest))

    assert result.exit_code == 1
    assert "index.json is not valid JSON" in result.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["index.json"]


def test_import_waits_for_the_index_lock(import_app, dest) -> None:
    dest.mkdir()
    fd = os.open(dest / "index.json.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    results = []
    runner = threading.Thread(target=lambda: results.append(import_app(str(dest))))
    runner.start()

    config = dest / "blobs" / "sha256" / RUN_MAX_INDEX
    deadline = time.monotonic() + 30
    while not config.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert runner.is_alive()
    assert not (dest / "index.json").exists()

    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    runner.join(30)
    assert results[0].exit_code == 0, results[0].output
    assert "waiting for" in results[0].stderr
    assert without_written(index_entry(dest, "latest")) == index_entry(
        RUN_MAX, "latest"
    )


def test_a_body_cut_mid_read_is_resumed(import_app, dest, monkeypatch) -> None:
    from s3cache_cli.s3 import client

    real_connect = client.connect
    cut = []

    def connect_with_a_flaky_body(*args: Any, **kwargs: Any):
        conn = real_connect(*args, **kwargs)
        conn.client.meta.events.register("after-call.s3.GetObject", cut_once)
        return conn

    def cut_once(parsed: dict, **_: Any) -> None:
        if cut or parsed.get("ContentLength", 0) < 1_000_000:
            return
        cut.append(parsed["Body"])
        parsed["Body"] = BreaksAfter(parsed["Body"], 300_000)

    monkeypatch.setattr(client, "connect", connect_with_a_flaky_body)

    result = import_app(str(dest))

    assert result.exit_code == 0, result.output
    assert cut
    assert blob_files(dest) == blob_files(RUN_MAX)


class BreaksAfter:
    def __init__(self, inner: Any, limit: int) -> None:
        self._inner = inner
        self._left = limit

    def read(self, amt: int | None = None) -> bytes:
        if self._left <= 0:
            raise botocore.exceptions.ResponseStreamingError(error="reset by peer")
        data = self._inner.read(min(amt or self._left, self._left))
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._inner.close()


def test_directory_and_cache_to_together_is_a_usage_error(import_app, dest) -> None:
    result = import_app(str(dest), "--cache-to", f"type=local,dest={dest}")

    assert result.exit_code == 2
    assert "not both" in result.stderr
    assert (
        f"to choose a tag, drop DIR and pass --cache-to 'type=local,dest={dest},tag=T'"
        in result.stderr
    )


def test_no_directory_is_a_usage_error(import_app) -> None:
    result = import_app()

    assert result.exit_code == 2
    assert "give a directory" in result.stderr


def test_cache_from_must_be_s3(run_cli, dest) -> None:
    result = run_cli("import", "--cache-from", f"type=local,src={RUN_MAX}", str(dest))

    assert result.exit_code == 2
    assert not dest.exists()


def test_verbose_names_the_credential_source_and_each_blob(import_app, dest) -> None:
    result = import_app(str(dest), "-v")

    assert "environment variables (AWS_ACCESS_KEY_ID)" in result.stderr
    assert f"downloaded sha256:{BIG_LAYER} (1.0 MiB)" in result.stderr


def test_quiet_prints_only_the_result(import_app, dest) -> None:
    result = import_app(str(dest), "-q")

    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("imported cache 'app'")


def test_a_secret_in_the_flag_string_is_never_printed(import_app, dest) -> None:
    secret = "s3cache-test-secret-0123456789"

    result = import_app(
        str(dest),
        "--debug",
        access_key_id="AKIDS3CACHETEST",
        secret_access_key=secret,
    )

    assert result.exit_code == 0, result.output
    assert secret not in result.output


def test_a_file_in_the_way_of_the_directory_is_reported(import_app, tmp_path) -> None:
    in_the_way = tmp_path / "cache"
    in_the_way.write_text("not a directory")

    result = import_app(str(in_the_way))

    assert result.exit_code == 1
    assert f"error: {in_the_way} is a file, not a directory\n" in result.stderr
    assert in_the_way.read_text() == "not a directory"


def test_a_directory_that_cannot_be_created_is_reported(import_app, tmp_path) -> None:
    (tmp_path / "file").write_text("")

    result = import_app(str(tmp_path / "file" / "cache"))

    assert result.exit_code == 1
    assert (
        f"cannot write the cache into {tmp_path / 'file' / 'cache'}: "
        f"{tmp_path / 'file'} is a file, not a directory"
    ) in result.stderr


def test_without_credentials_the_import_says_so(import_app, dest, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = import_app(str(dest))

    assert result.exit_code == 4
    assert "no AWS credentials found" in result.stderr
    assert not dest.exists()


def test_no_sign_request_sends_unsigned_requests(import_app, dest, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = import_app(str(dest), "--no-sign-request")

    # The test server checks signatures, so it turns the anonymous read down.
    assert result.exit_code == 4
    assert "access denied" in result.stderr
    assert "the bucket must allow anonymous reads" in result.stderr
    assert not dest.exists()
