"""Buckets seeded with small caches whose blobs the prune tests can name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prune.seeding import FOREIGN_KEYS, SeededBucket


@pytest.fixture
def seeded(bucket) -> SeededBucket:
    return SeededBucket(bucket)


@pytest.fixture
def ab_caches(seeded: SeededBucket) -> Iterator[SeededBucket]:
    """Caches a -> {x, y} and b -> {y, z}, two orphans, and objects to leave be."""
    seeded.put_cache("a", "x", "y")
    seeded.put_cache("b", "y", "z")
    seeded.put_blob("orphan-1")
    seeded.put_blob("orphan-2", size=1000)
    for key in FOREIGN_KEYS:
        seeded.bucket.put(key, b"not a blob")
    yield seeded
