"""One scenario per command: what is stored before, how the CLI is run, and what
must hold after it succeeded. The fault matrix runs each under each fault.

Every scenario reads or writes through the fault proxy and checks the outcome
with a client aimed at SeaweedFS itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.proxy import FaultProxy
from tests.local_index import index_without_written
from tests.reliability.conftest import with_credentials
from tests.reliability.dataset import (
    Dataset,
    local_problems,
    partial_files,
    pending_uploads,
    s3_problems,
    stored_blobs,
)

# Objects prune must leave alone: not digests, or outside both prefixes.
FOREIGN_KEYS = ("blobs/README", "blobs/sha256:abc", "other/sha256:" + "a" * 64)


@dataclass
class Setup:
    """Where one scenario runs: its bucket, directories and proxy."""

    bucket: Any
    tmp: Path
    proxy: FaultProxy
    dataset: Dataset

    def spec(self, *, proxied: bool = True, **attributes: str) -> str:
        if proxied:
            attributes["endpoint_url"] = self.proxy.endpoint_url
        return with_credentials(self.bucket.spec(**attributes))


class Export:
    """A local cache directory into S3, every request through the proxy."""

    def prepare(self, setup: Setup) -> list[str]:
        source = setup.dataset.write_local(setup.tmp / "source")
        self.expected = setup.dataset.s3_manifest(setup.tmp)
        return ["export", str(source), "--cache-to", setup.spec(name="app")]

    def check(self, setup: Setup, result: Any) -> None:
        bucket = setup.bucket
        assert bucket.keys("manifests/") == ["manifests/app"]
        assert bucket.get("manifests/app") == self.expected
        assert stored_blobs(bucket) == setup.dataset.digests
        assert s3_problems(bucket) == []
        assert only_lost_creates_pending(bucket, setup.proxy)
        assert result.json["blobs"]["upload"] == len(setup.dataset.blobs)

    def check_failed(self, setup: Setup, result: Any) -> None:
        assert setup.bucket.keys("manifests/") == []
        assert s3_problems(setup.bucket) == []
        assert pending_uploads(setup.bucket) == []


class Copy(Export):
    """An S3 cache read through the proxy, streamed to the server directly:
    two endpoints, so the bytes pass through s3cache and are verified."""

    def prepare(self, setup: Setup) -> list[str]:
        setup.dataset.put_into(setup.bucket, "app", setup.tmp, prefix="src/")
        self.expected = setup.dataset.s3_manifest(setup.tmp)
        source = setup.spec(name="app", prefix="src/")
        dest = setup.spec(proxied=False, name="app")
        return ["export", "--cache-from", source, "--cache-to", dest]


class Import:
    """An S3 cache into a fresh directory; compared with an import made
    without faults."""

    def prepare(self, setup: Setup) -> list[str]:
        setup.dataset.put_into(setup.bucket, "app", setup.tmp)
        self.dest = setup.tmp / "imported"
        return ["import", "--cache-from", setup.spec(name="app"), str(self.dest)]

    def reference(self, setup: Setup, run_cli) -> Path:
        reference = setup.tmp / "reference"
        spec = setup.spec(proxied=False, name="app")
        assert run_cli("import", "--cache-from", spec, str(reference)).exit_code == 0
        return reference

    def check(self, setup: Setup, result: Any, reference: Path) -> None:
        assert local_problems(self.dest) == []
        assert partial_files(self.dest) == []
        assert index_without_written(self.dest) == index_without_written(reference)
        assert blob_names(self.dest) == blob_names(reference)
        assert result.json["blobs"]["downloaded"] == len(setup.dataset.blobs)

    def check_failed(self, setup: Setup, result: Any) -> None:
        assert not (self.dest / "index.json").exists()
        assert local_problems(self.dest) == []
        assert partial_files(self.dest) == []


class Inspect:
    """``inspect --check --deep``: every blob read and hashed through the proxy."""

    def prepare(self, setup: Setup) -> list[str]:
        setup.dataset.put_into(setup.bucket, "app", setup.tmp)
        setup.bucket.put("blobs/README", b"not a blob")
        return ["inspect", "--check", "--deep", "--cache-from", setup.spec()]

    def check(self, setup: Setup, result: Any) -> None:
        document = result.json
        assert [cache["name"] for cache in document["caches"]] == ["app"]
        assert document["invalid"] == []
        assert document["check"]["problems"] == []
        assert document["check"]["blobs"] == len(setup.dataset.blobs)
        assert document["storage"]["blobs"] == len(setup.dataset.blobs)
        assert document["storage"]["foreign"] == ["blobs/README"]

    def check_failed(self, setup: Setup, result: Any) -> None:
        assert setup.bucket.keys("manifests/") == ["manifests/app"]


class Prune:
    """Delete the cache ``old`` and sweep with no grace, through the proxy."""

    def prepare(self, setup: Setup) -> list[str]:
        dataset = setup.dataset
        dataset.put_into(setup.bucket, "keep", setup.tmp)
        for name in ("keep-b", "keep-c"):
            Dataset(dataset.blobs[1:3]).put_into(setup.bucket, name, setup.tmp)
        self.old = Dataset((dataset.blobs[-1], b"old one", b"old two", b"old 3"))
        self.old.put_into(setup.bucket, "old", setup.tmp)
        for key in FOREIGN_KEYS:
            setup.bucket.put(key, b"not a blob")
        spec = setup.spec(name="old")
        return ["prune", "--force", "--grace", "0s", "--cache-to", spec]

    def check(self, setup: Setup, result: Any) -> None:
        bucket = setup.bucket
        kept = ["manifests/keep", "manifests/keep-b", "manifests/keep-c"]
        assert bucket.keys("manifests/") == kept
        assert stored_blobs(bucket) == setup.dataset.digests
        assert s3_problems(bucket) == []
        for key in FOREIGN_KEYS:
            assert bucket.get(key) == b"not a blob"
        assert result.json["blobs_deleted"] == 3

    def check_failed(self, setup: Setup, result: Any) -> None:
        assert "manifests/keep" in setup.bucket.keys("manifests/")
        assert s3_problems(setup.bucket) == []
        for key in FOREIGN_KEYS:
            assert setup.bucket.get(key) == b"not a blob"


def only_lost_creates_pending(bucket, proxy: FaultProxy) -> bool:
    """No multipart upload is left, except those whose CreateMultipartUpload
    answer the network lost: S3 made them, but s3cache never learnt their
    id, and they hold no parts. (Aborting every partless upload of the key
    could abort another exporter's; prune removes them after its grace.)"""
    creates = [r for r in proxy.requests if r.method == "POST" and r.query == "uploads"]
    multipart_keys = {r.path for r in creates}
    left = pending_uploads(bucket)
    parts = [
        bucket.client.list_parts(
            Bucket=bucket.name, Key=u["Key"], UploadId=u["UploadId"]
        )
        for u in left
    ]
    lost = len(creates) - len(multipart_keys)
    return len(left) <= lost and all(not p.get("Parts") for p in parts)


def blob_names(root: Path) -> set[str]:
    return {path.name for path in (root / "blobs" / "sha256").iterdir()}
