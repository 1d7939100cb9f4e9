"""Trimming a mode=max cache to the mode=min shape (SPEC §4)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3cache_cli.cacheconfig import (
    CacheConfig,
    CacheInput,
    CacheLayer,
    CacheRecord,
    CacheResult,
    ChainedResult,
    LayerAnnotations,
)
from s3cache_cli.digest import Digest
from s3cache_cli.errors import InvalidManifest

TIME = "2026-12-04T15:05:39.534990341Z"


def _digest(name: str) -> Digest:
    return Digest("sha256", hashlib.sha256(name.encode()).hexdigest())


def _layer(name: str, parent: int) -> CacheLayer:
    annotations = LayerAnnotations(
        media_type="application/vnd.oci.image.layer.v1.tar+gzip",
        diff_id=str(_digest("diff " + name)),
        size=len(name),
        created_at=TIME,
    )
    return CacheLayer(_digest(name), parent=parent, annotations=annotations)


def _record(name: str, *, results=(), inputs=(), chains=()) -> CacheRecord:
    return CacheRecord(
        _digest(name),
        results=tuple(CacheResult(layer, TIME) for layer in results),
        chains=tuple(ChainedResult(tuple(layers), TIME) for layers in chains),
        inputs=tuple(tuple(CacheInput(link) for link in choices) for choices in inputs),
    )


def _chain_blobs(config: CacheConfig, index: int) -> list[str]:
    """The blobs BuildKit would load for a result on layer ``index``."""
    blobs = []
    while index != -1:
        blobs.append(config.layers[index].blob.hex[:8])
        index = config.layers[index].parent
    return blobs[::-1]


def _results_by_record(config: CacheConfig) -> dict[str, list[list[str]]]:
    return {
        record.digest.hex[:8]: [
            _chain_blobs(config, result.layer) for result in record.results
        ]
        for record in config.records
    }


# Two stages and a final COPY --from; layers deliberately out of build order
# so that dropping two of them forces every index to be renumbered.
#   base -> run-a -> run-b ----------------\
#   other -> build ---------------------- copy-from (final)
LAYERS = (
    _layer("other", -1),  # 0
    _layer("base", -1),  # 1
    _layer("build", 0),  # 2
    _layer("run-a", 1),  # 3
    _layer("run-b", 3),  # 4
    _layer("copy-from", 4),  # 5
)
RECORDS = (
    _record("from base", results=[1]),  # 0
    _record("run a", results=[3], inputs=[[0]]),  # 1
    _record("run b", results=[4], inputs=[[1]]),  # 2
    _record("from other", results=[0]),  # 3
    _record("build", results=[2], inputs=[[3]]),  # 4
    _record("copy", results=[5], inputs=[[2], [4]]),  # 5
)
MAX = CacheConfig(LAYERS, RECORDS)


def test_min_keeps_the_final_layers_with_their_parents():
    trimmed = MAX.trim_to_min()

    assert [layer.blob for layer in trimmed.layers] == [
        _digest("base"),
        _digest("run-a"),
        _digest("run-b"),
        _digest("copy-from"),
    ]
    assert [layer.parent for layer in trimmed.layers] == [-1, 0, 1, 2]
    trimmed.validate()


def test_min_keeps_results_only_where_their_layer_is_kept():
    trimmed = MAX.trim_to_min()

    assert [[r.layer for r in record.results] for record in trimmed.records] == [
        [0],
        [1],
        [2],
        [],
        [],
        [3],
    ]
    assert _results_by_record(trimmed)[_digest("copy").hex[:8]] == [
        [_digest(n).hex[:8] for n in ("base", "run-a", "run-b", "copy-from")]
    ]


def test_min_keeps_every_record_and_its_inputs():
    trimmed = MAX.trim_to_min()

    assert [r.digest for r in trimmed.records] == [r.digest for r in RECORDS]
    assert [r.inputs for r in trimmed.records] == [r.inputs for r in RECORDS]


def test_min_layers_keep_their_annotations():
    trimmed = MAX.trim_to_min()

    assert trimmed.total_size() == sum(
        len(n) for n in ("base", "run-a", "run-b", "copy-from")
    )
    reread = CacheConfig.parse(trimmed.to_s3_bytes(), source="min")
    assert reread == trimmed


def test_trimming_twice_changes_nothing_more():
    trimmed = MAX.trim_to_min()

    assert trimmed.trim_to_min() == trimmed


def test_every_record_that_is_no_input_counts_as_final():
    config = CacheConfig(
        LAYERS[:2],
        (_record("one", results=[0]), _record("two", results=[1])),
    )

    assert config.trim_to_min() == config


def test_chains_of_final_records_keep_their_layers():
    records = (
        *RECORDS[:5],
        _record("copy", results=[5], inputs=[[2], [4]], chains=[[0, 2]]),
        _record("chain-elsewhere", inputs=[[0]], chains=[[2]]),
    )
    # Record 6 is final too: nobody links to it; its chain keeps "build".
    trimmed = CacheConfig(LAYERS, records).trim_to_min()

    blobs = [layer.blob for layer in trimmed.layers]
    assert _digest("other") in blobs
    assert _digest("build") in blobs
    chain = trimmed.records[5].chains[0]
    assert [trimmed.layers[i].blob for i in chain.layers] == [
        _digest("other"),
        _digest("build"),
    ]
    trimmed.validate()


def test_chain_on_a_lost_layer_is_dropped():
    records = (
        *RECORDS[:4],
        _record("build", results=[2], inputs=[[3]], chains=[[2]]),
        RECORDS[5],
    )

    trimmed = CacheConfig(LAYERS, records).trim_to_min()

    assert trimmed.records[4].chains == ()
    assert trimmed.records[4].results == ()


def test_buildkit_max_export_trims_to_a_valid_min(buildkit_s3_manifest):
    max_config = CacheConfig.parse(buildkit_s3_manifest(), source="manifests/app")

    trimmed = max_config.trim_to_min()

    trimmed.validate()
    assert set(trimmed.blob_digests()) < set(max_config.blob_digests())
    assert trimmed.total_size() < max_config.total_size()
    before, after = _results_by_record(max_config), _results_by_record(trimmed)
    for record, chains in after.items():
        assert all(chain in before[record] for chain in chains)


def test_invalid_config_is_not_trimmed():
    broken = CacheConfig(LAYERS, (_record("x", results=[9]),))

    with pytest.raises(InvalidManifest, match="names layer 9"):
        broken.trim_to_min()


@st.composite
def max_caches(draw) -> CacheConfig:
    """Random valid configs: parents and links point to earlier entries."""
    layer_count = draw(st.integers(0, 12))
    layers = tuple(
        _layer(f"l{index}", draw(st.integers(-1, index - 1)))
        for index in range(layer_count)
    )
    records = []
    for index in range(draw(st.integers(1, 12))):
        links = st.integers(0, index - 1) if index else st.nothing()
        choices = st.lists(links, min_size=1, max_size=2)
        inputs = draw(st.lists(choices, max_size=2)) if index else []
        layer = st.integers(0, layer_count - 1) if layer_count else st.nothing()
        results = draw(st.lists(layer, max_size=2)) if layer_count else []
        chains = (
            draw(st.lists(st.lists(layer, min_size=1, max_size=3), max_size=1))
            if layer_count
            else []
        )
        records.append(
            _record(f"r{index}", results=results, inputs=inputs, chains=chains)
        )
    return CacheConfig(layers, tuple(records))


@given(max_caches())
def test_trimmed_cache_means_the_same_where_it_keeps_results(config):
    trimmed = config.trim_to_min()

    trimmed.validate()
    assert [r.inputs for r in trimmed.records] == [r.inputs for r in config.records]
    before, after = _results_by_record(config), _results_by_record(trimmed)
    for record, chains in after.items():
        assert all(chain in before[record] for chain in chains)


@given(max_caches())
def test_final_records_keep_all_their_results(config):
    linked = {link for record in config.records for link in record.links()}

    trimmed = config.trim_to_min()

    for index, record in enumerate(config.records):
        if index not in linked:
            assert len(trimmed.records[index].results) == len(record.results)
            assert len(trimmed.records[index].chains) == len(record.chains)


@given(max_caches())
def test_every_kept_layer_is_needed_by_a_final_record(config):
    trimmed = config.trim_to_min()

    linked = {link for record in trimmed.records for link in record.links()}
    needed = {
        layer
        for index, record in enumerate(trimmed.records)
        if index not in linked
        for layer in record.layer_indexes()
    }
    needed |= {layer.parent for layer in trimmed.layers if layer.parent != -1}
    assert needed == set(range(len(trimmed.layers)))
