"""Synthetic BuildKit caches in the local (OCI layout) form, from a seed.

Blobs are random bytes, so nothing compresses them away, written a chunk at a
time so that a 1 GiB blob never sits in memory. The layout is what
``--cache-to type=local`` writes: ``oci-layout``, ``index.json`` tagging an OCI
image index whose ``manifests`` are the layer descriptors followed by the
cache config descriptor.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
CHUNK = 1 * MiB

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.buildkit.cacheconfig.v0"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
TAG_ANNOTATION = "org.opencontainers.image.ref.name"
CREATED_ANNOTATION = "buildkit/createdat"
UNCOMPRESSED_ANNOTATION = "containerd.io/uncompressed"
MAX_CHAIN = 6
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BlobGroup:
    """``count`` blobs with sizes drawn between ``min_size`` and ``max_size``."""

    count: int
    min_size: int
    max_size: int
    log_uniform: bool = False

    def draw(self, rng: random.Random) -> list[int]:
        if self.log_uniform:
            low, high = math.log(self.min_size), math.log(self.max_size)
            return [round(math.exp(rng.uniform(low, high))) for _ in range(self.count)]
        return [rng.randint(self.min_size, self.max_size) for _ in range(self.count)]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    groups: tuple[BlobGroup, ...]

    def sizes(self, seed: int) -> list[int]:
        rng = random.Random(f"{seed}:{self.name}:sizes")
        return [size for group in self.groups for size in group.draw(rng)]

    def fingerprint(self, seed: int) -> str:
        """Names the cached copy, so a changed spec or seed regenerates it."""
        return hashlib.sha256(f"{seed}:{self!r}".encode()).hexdigest()[:12]


CI = DatasetSpec(
    "ci",
    (
        BlobGroup(300, 1 * KiB, 3 * MiB, log_uniform=True),
        BlobGroup(3, 100 * MiB, 100 * MiB),
    ),
)
BIG = DatasetSpec("big", (BlobGroup(1, 1 * GiB, 1 * GiB),))
MANY = DatasetSpec("many", (BlobGroup(5000, 1000, 20_000),))
FULL = (CI, BIG, MANY)

# The same shapes, smaller, for --quick.
QUICK = (
    DatasetSpec(
        "ci",
        (
            BlobGroup(60, 1 * KiB, 3 * MiB, log_uniform=True),
            BlobGroup(1, 32 * MiB, 32 * MiB),
        ),
    ),
    DatasetSpec("big", (BlobGroup(1, 128 * MiB, 128 * MiB),)),
    DatasetSpec("many", (BlobGroup(500, 1000, 20_000),)),
)


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int
    diff_id: str
    created_at: str


@dataclass(frozen=True)
class Dataset:
    """A generated cache on disk, as read back from its ``index.json``."""

    name: str
    root: Path
    layers: tuple[Layer, ...]
    config_digest: str

    @property
    def blob_dir(self) -> Path:
        return self.root / "blobs" / "sha256"

    @property
    def layer_bytes(self) -> int:
        return sum(layer.size for layer in self.layers)

    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest.removeprefix("sha256:")

    def blob_files(self) -> list[Path]:
        """Every file of ``blobs/sha256``: the layers, the config and the index."""
        return sorted(self.blob_dir.iterdir())


def ensure_dataset(spec: DatasetSpec, *, seed: int, cache_dir: Path) -> Dataset:
    """The dataset from ``cache_dir``, generated first if it is not there yet."""
    root = cache_dir / f"{spec.name}-{spec.fingerprint(seed)}"
    if not root.is_dir():
        generate(spec, seed=seed, root=root)
    return load_dataset(root, name=spec.name)


def generate(spec: DatasetSpec, *, seed: int, root: Path) -> None:
    """Write the layout under a temporary name and rename it when complete."""
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    blob_dir = partial / "blobs" / "sha256"
    blob_dir.mkdir(parents=True)

    layers = []
    for index, size in enumerate(spec.sizes(seed)):
        rng = random.Random(f"{seed}:{spec.name}:blob:{index}")
        digest = write_random_blob(blob_dir, size, rng)
        layers.append(describe_layer(digest, size, rng, index))

    write_layout(partial, sorted(layers, key=lambda layer: layer.digest), seed)
    settle_mtimes(blob_dir)
    partial.rename(root)


def write_random_blob(blob_dir: Path, size: int, rng: random.Random) -> str:
    """Stream ``size`` random bytes to a file named by their sha256 digest."""
    hasher = hashlib.sha256()
    partial = blob_dir / f".partial-{rng.getrandbits(64):016x}"
    with open(partial, "wb") as out:
        remaining = size
        while remaining:
            chunk = rng.randbytes(min(CHUNK, remaining))
            hasher.update(chunk)
            out.write(chunk)
            remaining -= len(chunk)
    partial.rename(blob_dir / hasher.hexdigest())
    return f"sha256:{hasher.hexdigest()}"


def settle_mtimes(blob_dir: Path) -> None:
    """Date every blob file in the past.

    ``aws s3 sync`` uploads a file whose mtime is newer than the object's
    LastModified, which S3 keeps to the second: a dataset uploaded within a
    second of being written would be uploaded again by every sync.
    """
    moment = EPOCH.timestamp()
    for path in blob_dir.iterdir():
        os.utime(path, (moment, moment))


def describe_layer(digest: str, size: int, rng: random.Random, index: int) -> Layer:
    created = EPOCH + timedelta(seconds=7 * index)
    return Layer(
        digest=digest,
        size=size,
        diff_id=f"sha256:{rng.randbytes(32).hex()}",
        created_at=rfc3339_nanos(created, rng.randrange(10**9)),
    )


def rfc3339_nanos(moment: datetime, nanos: int) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def write_layout(root: Path, layers: list[Layer], seed: int) -> None:
    config = cache_config(layers, random.Random(f"{seed}:config"))
    config_digest, config_size = write_json_blob(root, config)

    descriptors = [layer_descriptor(layer) for layer in layers]
    descriptors.append(
        {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest, "size": config_size}
    )
    image_index = {
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": descriptors,
    }
    index_digest, index_size = write_json_blob(root, image_index)

    tagged = {
        "mediaType": INDEX_MEDIA_TYPE,
        "digest": index_digest,
        "size": index_size,
        "annotations": {TAG_ANNOTATION: "latest"},
    }
    write_json(root / "index.json", {"schemaVersion": 2, "manifests": [tagged]})
    write_json(root / "oci-layout", {"imageLayoutVersion": "1.0.0"})


def cache_config(layers: list[Layer], rng: random.Random) -> dict:
    """Chains of up to MAX_CHAIN layers, one record per layer linked like them.

    Records are sorted by digest as BuildKit writes them; record ``i`` holds
    layer ``i`` and links to record ``i - 1`` when layer ``i`` has a parent.
    """
    parents = chain_parents(len(layers), rng)
    record_digests = sorted(f"sha256:{rng.randbytes(32).hex()}" for _ in layers)
    config_layers = [
        {"blob": layer.digest, **parent_field(parent)}
        for layer, parent in zip(layers, parents, strict=True)
    ]
    records = [
        record(index, digest, layers[index].created_at, parents[index])
        for index, digest in enumerate(record_digests)
    ]
    return {"layers": config_layers, "records": records}


def chain_parents(count: int, rng: random.Random) -> list[int]:
    parents = []
    chain_left = 0
    for index in range(count):
        if chain_left == 0:
            chain_left = rng.randint(1, MAX_CHAIN)
            parents.append(-1)
        else:
            parents.append(index - 1)
        chain_left -= 1
    return parents


def parent_field(parent: int) -> dict[str, int]:
    # Go leaves the field out when it is 0, so a reader takes "no parent
    # field" as parent 0; writing it the same way keeps the bytes BuildKit's.
    return {} if parent == 0 else {"parent": parent}


def record(index: int, digest: str, created_at: str, parent: int) -> dict:
    entry: dict = {"layers": [{"layer": index, "createdAt": created_at}]}
    entry["digest"] = digest
    if parent >= 0:
        entry["inputs"] = [[{"link": index - 1}]]
    return entry


def layer_descriptor(layer: Layer) -> dict:
    return {
        "mediaType": LAYER_MEDIA_TYPE,
        "digest": layer.digest,
        "size": layer.size,
        "annotations": {
            CREATED_ANNOTATION: layer.created_at,
            UNCOMPRESSED_ANNOTATION: layer.diff_id,
        },
    }


def compact_json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def write_json_blob(root: Path, document: object) -> tuple[str, int]:
    body = compact_json(document)
    hex_digest = hashlib.sha256(body).hexdigest()
    (root / "blobs" / "sha256" / hex_digest).write_bytes(body)
    return f"sha256:{hex_digest}", len(body)


def write_json(path: Path, document: object) -> None:
    path.write_bytes(compact_json(document))


def load_dataset(root: Path, *, name: str) -> Dataset:
    """Read the layers back through ``index.json`` and the tagged image index."""
    tagged = json.loads((root / "index.json").read_bytes())["manifests"][0]
    image_index = json.loads(read_blob(root, tagged["digest"]))
    descriptors = image_index["manifests"]
    layers = tuple(
        Layer(
            digest=descriptor["digest"],
            size=descriptor["size"],
            diff_id=descriptor["annotations"][UNCOMPRESSED_ANNOTATION],
            created_at=descriptor["annotations"][CREATED_ANNOTATION],
        )
        for descriptor in descriptors
        if descriptor["mediaType"] == LAYER_MEDIA_TYPE
    )
    config = next(d for d in descriptors if d["mediaType"] == CONFIG_MEDIA_TYPE)
    return Dataset(name, root, layers, config["digest"])


def read_blob(root: Path, digest: str) -> bytes:
    return (root / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def s3_manifest(dataset: Dataset) -> bytes:
    """The cache config in BuildKit's S3 form: each layer with its annotations."""
    config = json.loads(read_blob(dataset.root, dataset.config_digest))
    by_digest = {layer.digest: layer for layer in dataset.layers}
    for entry in config["layers"]:
        layer = by_digest[entry["blob"]]
        entry["annotations"] = {
            "mediaType": LAYER_MEDIA_TYPE,
            "diffID": layer.diff_id,
            "size": layer.size,
            "createdAt": layer.created_at,
        }
    return compact_json(config)
