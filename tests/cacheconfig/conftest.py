"""Reading BuildKit's own exports from tests/fixtures for the cache config tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from s3cache_cli.oci import mediatypes

FIXTURES = Path(__file__).parent.parent / "fixtures"
S3_MANIFESTS = FIXTURES / "s3" / "run-max" / "objects" / "manifests"


@dataclass(frozen=True)
class LocalCache:
    """The cache config blob of one tag of a local export, and its layers."""

    config: bytes
    layer_descriptors: list[dict]
    all_descriptors: list[dict]


@pytest.fixture(scope="session")
def buildkit_local() -> Callable[..., LocalCache]:
    """``buildkit_local(name, tag)``: one tag of a local export in tests/fixtures."""
    return _read_local_cache


@pytest.fixture(scope="session")
def buildkit_s3_manifest() -> Callable[..., bytes]:
    """``buildkit_s3_manifest(name)``: a manifest BuildKit wrote to S3."""
    return _s3_manifest


def _read_local_cache(name: str, tag: str = "latest") -> LocalCache:
    """Follow index.json -> tagged index or manifest -> config, as BuildKit does."""
    root = FIXTURES / "local" / name
    index = json.loads((root / "index.json").read_bytes())
    entry = next(
        entry
        for entry in index["manifests"]
        if entry["annotations"][mediatypes.REF_NAME_ANNOTATION] == tag
    )
    target = json.loads(_blob(root, entry["digest"]))

    if entry["mediaType"] in mediatypes.MANIFEST_TYPES:
        config_descriptor = target["config"]
        layers = target["layers"]
        everything = [*layers, config_descriptor]
    else:
        everything = target["manifests"]
        config_descriptor = next(
            d for d in everything if d["mediaType"] == mediatypes.CACHE_CONFIG
        )
        layers = [d for d in everything if d is not config_descriptor]

    return LocalCache(_blob(root, config_descriptor["digest"]), layers, everything)


def _blob(root: Path, digest: str) -> bytes:
    algorithm, hex_digits = digest.split(":")
    return (root / "blobs" / algorithm / hex_digits).read_bytes()


def _s3_manifest(name: str = "app") -> bytes:
    return (S3_MANIFESTS / name).read_bytes()
