"""The prune planner over a synthetic bucket, run as a process of its own.

    python bench/prune_planner.py --blobs 1000000 --manifests 10000 [--reference]

The bucket is never materialised: blob and manifest listings are generated
as they are iterated, and a manifest's body when it is read, the way pages
and GETs would arrive from S3. The process's peak RSS is then what the
planner itself keeps. ``--reference`` runs the benchmark's own plain planner
(a set of referenced digests) instead of s3cache's, as a yardstick.

Exit status 2 with "not available in this version" means s3cache has no
planner yet; the harness records that row as not available.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BLOBS_PREFIX = "blobs/"
MANIFESTS_PREFIX = "manifests/"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
GRACE = timedelta(hours=24)


class PlannerUnavailable(Exception):
    """s3cache_cli has no prune planner to call yet."""


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class SyntheticBucket:
    """``blob_count`` blobs and ``manifest_count`` manifests naming some of them.

    Listings come in generation order, not key order: a planner must not
    depend on the order S3 happens to list keys in.
    """

    blob_count: int
    manifest_count: int
    seed: int = 1
    layers_per_manifest: int = 40

    def blob_digest(self, index: int) -> str:
        hex_digest = hashlib.sha256(f"{self.seed}:blob:{index}".encode()).hexdigest()
        return f"sha256:{hex_digest}"

    def blobs(self) -> Iterator[ListedObject]:
        rng = random.Random(f"{self.seed}:blob-listing")
        for index in range(self.blob_count):
            yield ListedObject(
                key=BLOBS_PREFIX + self.blob_digest(index),
                size=rng.randint(1000, 50_000_000),
                last_modified=NOW - timedelta(hours=rng.randint(1, 24 * 90)),
            )

    def manifests(self) -> Iterator[ListedObject]:
        rng = random.Random(f"{self.seed}:manifest-listing")
        for index in range(self.manifest_count):
            yield ListedObject(
                key=f"{MANIFESTS_PREFIX}cache-{index}",
                size=0,
                last_modified=NOW - timedelta(hours=rng.randint(1, 24 * 90)),
            )

    def manifest_body(self, key: str) -> bytes:
        """The S3-form cache config stored under ``key``: a chain of layers."""
        index = int(key.rsplit("-", 1)[1])
        rng = random.Random(f"{self.seed}:manifest:{index}")
        picks = rng.sample(range(self.blob_count), self.layers_per_manifest)
        layers = [self._layer(blob, parent, rng) for parent, blob in enumerate(picks)]
        result = {"layer": len(layers) - 1, "createdAt": _time(rng)}
        records = [{"layers": [result], "digest": f"sha256:{rng.randbytes(32).hex()}"}]
        config = {"layers": layers, "records": records}
        return json.dumps(config, separators=(",", ":")).encode()

    def _layer(self, blob: int, position: int, rng: random.Random) -> dict:
        annotations = {
            "mediaType": LAYER_MEDIA_TYPE,
            "diffID": f"sha256:{rng.randbytes(32).hex()}",
            "size": rng.randint(1000, 50_000_000),
            "createdAt": _time(rng),
        }
        # Each layer's parent is the one before it; Go leaves out parent 0.
        parent = {} if position == 1 else {"parent": position - 1}
        return {"blob": self.blob_digest(blob), **parent, "annotations": annotations}


def _time(rng: random.Random) -> str:
    moment = NOW - timedelta(seconds=rng.randint(0, 90 * 86400))
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{rng.randrange(10**9):09d}Z"


def reference_plan(bucket: SyntheticBucket) -> int:
    """How many blobs to delete: named by no manifest, and older than GRACE."""
    referenced: set[str] = set()
    for manifest in bucket.manifests():
        config = json.loads(bucket.manifest_body(manifest.key))
        referenced.update(layer["blob"] for layer in config["layers"])

    cutoff = NOW - GRACE
    return sum(
        1
        for blob in bucket.blobs()
        if blob.last_modified <= cutoff
        and blob.key.removeprefix(BLOBS_PREFIX) not in referenced
    )


def call_s3cache_planner(bucket: SyntheticBucket) -> int:
    """Run s3cache's prune planner over the bucket; how many blobs it deletes.

    Each manifest is parsed and validated by s3cache, as ``s3cache prune``
    does after reading it; the planner gets the caches with the blobs they
    name, and the blob listing as a stream.
    """
    try:
        # By name, as the module exists only in versions that have a planner.
        planner = importlib.import_module("s3cache_cli.prune.plan")
        from s3cache_cli.cacheconfig import CacheConfig
        from s3cache_cli.digest import Digest, parse_digest
        from s3cache_cli.stores.base import BlobEntry, CacheEntry
    except ImportError as error:
        raise PlannerUnavailable(str(error)) from None

    def caches() -> Iterator[tuple[CacheEntry, list[tuple[Digest, int]]]]:
        for listed in bucket.manifests():
            name = listed.key.removeprefix(MANIFESTS_PREFIX)
            entry = CacheEntry(name, listed.key, listed.size, listed.last_modified)
            body = bucket.manifest_body(listed.key)
            config = CacheConfig.parse(body, source=listed.key)
            yield (
                entry,
                [(layer.blob, layer.annotations.size) for layer in config.layers],
            )

    def blobs() -> Iterator[BlobEntry]:
        for listed in bucket.blobs():
            digest = parse_digest(listed.key.removeprefix(BLOBS_PREFIX))
            yield BlobEntry(digest, listed.key, listed.size, listed.last_modified)

    # Both listings stay lazy, so that the peak RSS measured is the
    # planner's own and not the synthetic bucket's.
    rules = planner.Rules()
    plan = planner.plan_prune(caches(), blobs(), rules=rules, now=NOW, grace=GRACE)
    return plan.sweep.deleted


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    bucket = SyntheticBucket(options.blobs, options.manifests, seed=options.seed)
    if options.reference:
        to_delete = reference_plan(bucket)
    else:
        try:
            to_delete = call_s3cache_planner(bucket)
        except PlannerUnavailable as error:
            sys.stderr.write(
                f"error: s3cache's prune planner is not available in this version"
                f" ({error})\n"
            )
            return 2
    sys.stdout.write(f"{to_delete} of {options.blobs} blobs to delete\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/prune_planner.py")
    parser.add_argument("--blobs", type=int, default=1_000_000)
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reference", action="store_true", help="run the benchmark's own planner"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
