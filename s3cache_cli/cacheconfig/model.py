"""The parts of a BuildKit cache config, as frozen values.

Names follow BuildKit's Go types; where the JSON name differs it is given.
Indexes are kept as written: a layer's ``parent`` and a result's ``layer``
point into ``CacheConfig.layers``, an input's ``link`` into
``CacheConfig.records``. Times are kept as the text that was read, so writing
them back gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from s3cache_cli.digest import Digest

# What Go writes for a time.Time that was never set.
ZERO_TIME = "0001-01-01T00:00:00Z"

NO_PARENT = -1


@dataclass(frozen=True)
class LayerAnnotations:
    """What the S3 form says about a layer blob (the local form keeps this on
    the layer's descriptor instead)."""

    media_type: str
    diff_id: str
    size: int
    created_at: str = ZERO_TIME


@dataclass(frozen=True)
class CacheLayer:
    """A layer blob on top of ``layers[parent]``, or on nothing when -1.

    ``parent`` has no default on purpose: in the JSON a missing parent means
    layer 0, which is easy to confuse with "none".
    """

    blob: Digest
    parent: int
    annotations: LayerAnnotations | None = None


@dataclass(frozen=True)
class CacheResult:
    """A record's result: layer ``layer`` loaded with all its parents.

    JSON: an entry of a record's ``layers``.
    """

    layer: int
    created_at: str = ZERO_TIME


@dataclass(frozen=True)
class ChainedResult:
    """A record's result given as an explicit list of layers. JSON: ``chains``."""

    layers: tuple[int, ...]
    created_at: str = ZERO_TIME


@dataclass(frozen=True)
class CacheInput:
    """One record an input may come from (``link``), with an optional selector."""

    link: int
    selector: str = ""


@dataclass(frozen=True)
class CacheRecord:
    """A cache key: its digest, the records its inputs come from, its results.

    ``inputs[i]`` lists the alternatives for input ``i``.
    """

    digest: Digest
    results: tuple[CacheResult, ...] = ()
    chains: tuple[ChainedResult, ...] = ()
    inputs: tuple[tuple[CacheInput, ...], ...] = ()

    def links(self) -> tuple[int, ...]:
        """Every record index named by the inputs, in order."""
        return tuple(choice.link for choices in self.inputs for choice in choices)

    def layer_indexes(self) -> tuple[int, ...]:
        """Every layer index the results and chains name directly."""
        chained = (index for chain in self.chains for index in chain.layers)
        return (*(result.layer for result in self.results), *chained)
