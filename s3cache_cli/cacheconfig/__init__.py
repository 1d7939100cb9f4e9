"""BuildKit's cache config: parse, validate, convert between S3 and local form.

``config`` holds the CacheConfig value and its methods; the other modules do
one job each: ``gojson`` (Go's JSON bytes), ``decode`` (JSON to model),
``encode`` (model to bytes), ``validate`` (BuildKit's import checks),
``convert`` (S3 form <-> local form) and ``trim`` (mode=min).
"""

from __future__ import annotations

from s3cache_cli.cacheconfig.config import CacheConfig
from s3cache_cli.cacheconfig.model import (
    NO_PARENT,
    ZERO_TIME,
    CacheInput,
    CacheLayer,
    CacheRecord,
    CacheResult,
    ChainedResult,
    LayerAnnotations,
)

__all__ = [
    "NO_PARENT",
    "ZERO_TIME",
    "CacheConfig",
    "CacheInput",
    "CacheLayer",
    "CacheRecord",
    "CacheResult",
    "ChainedResult",
    "LayerAnnotations",
]
