"""Synthetic caches for the reliability tests, and the checks of what is stored.

A dataset is a few small blobs and one big enough to go up in several
multipart parts. It is written as BuildKit's ``type=local`` layout, or straight
into a bucket in the ``type=s3`` layout (with boto3, not with s3cache). The
checks read S3 with a client aimed at SeaweedFS itself, never through the
fault proxy, and hash every byte.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.export.cachebuilder import digest_of, write_local_cache

MiB = 1024 * 1024
# The smallest part SeaweedFS (like S3) accepts; the tests shrink s3cache's
# multipart threshold and part size to it.
PART_SIZE = 5 * MiB
# Downloads have no minimum: small ranged parts give a fault more to hit.
DOWNLOAD_PART_SIZE = 1 * MiB
DOWNLOAD_THRESHOLD = 2 * MiB


@dataclass(frozen=True)
class Dataset:
    blobs: tuple[bytes, ...]

    @classmethod
    def make(cls, *, seed: int, small: int = 6, big_parts: int = 2) -> Dataset:
        """``small`` blobs of 8-64 KiB and one of ``big_parts`` parts and a bit."""
        rng = random.Random(seed)
        sizes = [rng.randrange(8 * 1024, 64 * 1024) for _ in range(small)]
        if big_parts:
            sizes.insert(0, big_parts * PART_SIZE + 4096)
        return cls(tuple(rng.randbytes(size) for size in sizes))

    @property
    def digests(self) -> set[str]:
        return {digest_of(blob) for blob in self.blobs}

    @property
    def total_bytes(self) -> int:
        return sum(len(blob) for blob in self.blobs)

    def write_local(self, root: Path, *, tag: str = "latest") -> Path:
        return write_local_cache(root, list(self.blobs), tag=tag)

    def s3_manifest(self, scratch: Path) -> bytes:
        """The manifest an export of this dataset writes, as s3cache builds it."""
        from s3cache_cli.oci.layout import OciLayout

        root = self.write_local(Path(tempfile.mkdtemp(dir=scratch)))
        return OciLayout(root).load_cache(tag="latest").config.to_s3_bytes()

    def put_into(self, bucket, name: str, scratch: Path, *, prefix: str = "") -> None:
        """Store the dataset as BuildKit's type=s3 would, without s3cache."""
        for blob in self.blobs:
            bucket.put(f"{prefix}blobs/{digest_of(blob)}", blob)
        bucket.put(f"{prefix}manifests/{name}", self.s3_manifest(scratch))


# -- S3 -----------------------------------------------------------------------


def s3_problems(bucket, *, prefix: str = "") -> list[str]:
    """Every manifest under ``prefix`` that names a blob missing or damaged."""
    problems = []
    for key in bucket.keys(f"{prefix}manifests/"):
        try:
            manifest = json.loads(bucket.get(key))
            layers = manifest.get("layers", [])
        except (ValueError, AttributeError) as error:
            problems.append(f"{key} is not a cache manifest: {error}")
            continue
        for layer in layers:
            problem = _s3_blob_problem(bucket, prefix, layer)
            if problem:
                problems.append(f"{key}: {problem}")
    return problems


def _s3_blob_problem(bucket, prefix: str, layer: dict) -> str | None:
    import botocore.exceptions

    digest = layer["blob"]
    try:
        data = bucket.get(f"{prefix}blobs/{digest}")
    except botocore.exceptions.ClientError:
        return f"{digest} is missing"
    if digest_of(data) != digest:
        return f"{digest} holds other bytes"
    if len(data) != layer.get("annotations", {}).get("size", len(data)):
        return f"{digest} has another size than the manifest says"
    return None


def stored_blobs(bucket, *, prefix: str = "") -> set[str]:
    """The digests under ``prefix``blobs/ whose object holds exactly their bytes."""
    root = f"{prefix}blobs/"
    whole = set()
    for key in bucket.keys(root):
        digest = key[len(root) :]
        if digest_of(bucket.get(key)) == digest:
            whole.add(digest)
    return whole


def pending_uploads(bucket) -> list[dict]:
    response = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    return response.get("Uploads", [])


# -- local directories ----------------------------------------------------------


def local_problems(root: Path) -> list[str]:
    """What is wrong with a cache directory BuildKit would read.

    index.json must parse; every entry, and every blob its manifest names,
    must be a file whose bytes match its digest and size; and no file under
    blobs/ may have a digest for a name and other bytes.
    """
    problems = [f"{path} holds other bytes" for path in misnamed_blobs(root)]
    index_path = root / "index.json"
    if not index_path.exists():
        return problems
    try:
        entries = json.loads(index_path.read_bytes())["manifests"]
    except (ValueError, KeyError, TypeError) as error:
        return [*problems, f"index.json does not parse: {error}"]

    for entry in entries:
        problems += _descriptor_problems(root, entry)
    return problems


def _descriptor_problems(root: Path, descriptor: dict) -> list[str]:
    data = local_blob(root, descriptor["digest"])
    if data is None or len(data) != descriptor["size"]:
        return [f"{descriptor['digest']} is missing or damaged"]
    if "json" not in descriptor.get("mediaType", "") or "layer" in descriptor.get(
        "mediaType", ""
    ):
        return []

    document = json.loads(data)
    named = [*document.get("manifests", []), *document.get("layers", [])]
    if "config" in document:
        named.append(document["config"])
    return [problem for d in named for problem in _descriptor_problems(root, d)]


def local_blob(root: Path, digest: str) -> bytes | None:
    algorithm, _, hex_part = digest.partition(":")
    path = root / "blobs" / algorithm / hex_part
    if not path.is_file():
        return None
    data = path.read_bytes()
    return data if digest_of(data) == digest else None


def misnamed_blobs(root: Path) -> list[Path]:
    """Files under a final blob name whose bytes do not hash to it."""
    folder = root / "blobs" / "sha256"
    if not folder.is_dir():
        return []
    return [
        path
        for path in folder.iterdir()
        if not path.name.startswith(".")
        and hashlib.sha256(path.read_bytes()).hexdigest() != path.name
    ]


def partial_files(root: Path) -> list[Path]:
    """Temporary files a transfer left behind (hidden names, or ingest/)."""
    hidden = [path for path in root.rglob(".*") if path.is_file()]
    ingest = root / "ingest"
    left = list(ingest.rglob("*")) if ingest.is_dir() else []
    return sorted(hidden + [path for path in left if path.is_file()])


def valid_local_blobs(root: Path) -> set[str]:
    folder = root / "blobs" / "sha256"
    if not folder.is_dir():
        return set()
    return {
        f"sha256:{path.name}"
        for path in folder.iterdir()
        if not path.name.startswith(".")
        and hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    }


def index_tags(root: Path) -> dict[str, str]:
    """Each tag of index.json and the manifest digest it points to."""
    index = json.loads((root / "index.json").read_bytes())
    return {
        entry["annotations"]["org.opencontainers.image.ref.name"]: entry["digest"]
        for entry in index["manifests"]
    }
