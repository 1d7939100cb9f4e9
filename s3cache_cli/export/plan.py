"""What an export does with each blob, decided from what HEAD found.

Pure: no I/O, so the rules can be tested on their own. They follow BuildKit's
exporter: a missing blob is uploaded, one older than ``touch_refresh`` is
touched, a fresh one is left alone. One rule is stricter: an object whose size
differs from the blob's is damaged, and it is uploaded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from s3cache_cli.errors import InvalidManifest

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.digest import Digest
    from s3cache_cli.s3.objects import ObjectInfo


class Action(StrEnum):
    UPLOAD = "upload"
    TOUCH = "touch"
    PRESENT = "present"


@dataclass(frozen=True)
class BlobStep:
    digest: Digest
    size: int
    key: str
    action: Action


@dataclass(frozen=True)
class ExportPlan:
    steps: tuple[BlobStep, ...]

    def having(self, *actions: Action) -> tuple[BlobStep, ...]:
        return tuple(step for step in self.steps if step.action in actions)

    def count(self, action: Action) -> int:
        return len(self.having(action))

    def bytes_for(self, action: Action) -> int:
        return sum(step.size for step in self.having(action))

    @property
    def total_bytes(self) -> int:
        return sum(step.size for step in self.steps)


def decide(
    size: int,
    found: ObjectInfo | None,
    *,
    now: datetime,
    touch_refresh: timedelta,
) -> Action:
    """The action for one blob of ``size`` bytes, given its HEAD result."""
    if found is None or found.size != size:
        return Action.UPLOAD

    if now - found.last_modified > touch_refresh:
        return Action.TOUCH
    return Action.PRESENT


def blob_sizes(config: CacheConfig) -> dict[Digest, int]:
    """Every blob the cache names, once, in order, with its size."""
    sizes: dict[Digest, int] = {}
    for layer in config.layers:
        if layer.annotations is None:
            # BuildKit's S3 importer refuses such a manifest too.
            raise InvalidManifest(
                f"layer {layer.blob} has no annotations, so its size is unknown"
            )
        sizes.setdefault(layer.blob, layer.annotations.size)
    return sizes
