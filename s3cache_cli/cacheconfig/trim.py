"""Trim a ``mode=max`` cache to the shape of a ``mode=min`` one (SPEC §4).

A max cache keeps a result for every build step, a min cache only for the
steps whose layers make up the final image. The final records are those no
other record takes as an input; their layers, with every parent, are kept.
Every record stays (they are the cache keys), but keeps only results whose
layers are kept, and the layers are renumbered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from s3cache_cli.cacheconfig.model import (
    NO_PARENT,
    CacheLayer,
    CacheRecord,
    ChainedResult,
)


def trim_to_min(
    layers: Sequence[CacheLayer], records: Sequence[CacheRecord]
) -> tuple[tuple[CacheLayer, ...], tuple[CacheRecord, ...]]:
    """The layers and records of the min shape; expects a valid config."""
    kept = sorted(_kept_layers(layers, records))
    new_index = {old: new for new, old in enumerate(kept)}

    new_layers = tuple(_renumber_parent(layers[old], new_index) for old in kept)
    new_records = tuple(_trim_record(record, new_index) for record in records)
    return new_layers, new_records


def final_records(records: Sequence[CacheRecord]) -> list[int]:
    """Indexes of the records that no record takes as an input."""
    linked = {link for record in records for link in record.links()}
    return [index for index in range(len(records)) if index not in linked]


def _kept_layers(
    layers: Sequence[CacheLayer], records: Sequence[CacheRecord]
) -> set[int]:
    kept: set[int] = set()
    for record_index in final_records(records):
        for layer_index in records[record_index].layer_indexes():
            _keep_with_parents(layer_index, layers, kept)

    return kept


def _keep_with_parents(
    index: int, layers: Sequence[CacheLayer], kept: set[int]
) -> None:
    while index != NO_PARENT and index not in kept:
        kept.add(index)
        index = layers[index].parent


def _renumber_parent(layer: CacheLayer, new_index: Mapping[int, int]) -> CacheLayer:
    if layer.parent == NO_PARENT:
        return layer

    return replace(layer, parent=new_index[layer.parent])


def _trim_record(record: CacheRecord, new_index: Mapping[int, int]) -> CacheRecord:
    results = tuple(
        replace(result, layer=new_index[result.layer])
        for result in record.results
        if result.layer in new_index
    )
    chains = tuple(
        _renumber_chain(chain, new_index)
        for chain in record.chains
        if _all_kept(chain.layers, new_index)
    )
    return replace(record, results=results, chains=chains)


def _renumber_chain(
    chain: ChainedResult, new_index: Mapping[int, int]
) -> ChainedResult:
    return replace(chain, layers=tuple(new_index[index] for index in chain.layers))


def _all_kept(indexes: Collection[int], new_index: Mapping[int, int]) -> bool:
    return all(index in new_index for index in indexes)
