"""A config BuildKit would refuse is refused up front, with the reason."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3cache_cli.cacheconfig import (
    CacheConfig,
    CacheInput,
    CacheLayer,
    CacheRecord,
    CacheResult,
    LayerAnnotations,
)
from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import InvalidManifest

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64
TIME = "2026-12-04T15:05:39.534990341Z"


def _layer(blob: str = A, parent: int = -1, **fields: object) -> dict:
    return {"blob": blob, "parent": parent, **fields}


def _record(digest: str = A, *links: int, **fields: object) -> dict:
    record: dict = {"digest": digest, **fields}
    if links:
        record["inputs"] = [[{"link": link}] for link in links]
    return record


def _config(layers: list, records: list) -> bytes:
    return json.dumps({"layers": layers, "records": records}).encode()


def _annotations(**fields: object) -> dict:
    return {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "diffID": C,
        "size": 10,
        "createdAt": TIME,
        **fields,
    }


TWO_LAYERS = [_layer(A), _layer(B, 0)]

INVALID = [
    # Indexes.
    pytest.param(
        _config([_layer(A), _layer(B, 2)], []),
        "layer 1: parent 2 is out of range (2 layers; -1 means none)",
        id="parent-out-of-range",
    ),
    pytest.param(
        _config([_layer(A, -2)], []),
        "layer 0: parent -2 is out of range",
        id="parent-below-minus-one",
    ),
    pytest.param(
        _config(TWO_LAYERS, [_record(A, layers=[{"layer": 2, "createdAt": TIME}])]),
        "record 0: result 0 names layer 2, out of range (2 layers)",
        id="result-layer-out-of-range",
    ),
    pytest.param(
        _config(TWO_LAYERS, [_record(A, layers=[{"layer": -1}])]),
        "record 0: result 0 names layer -1, out of range",
        id="result-layer-minus-one",
    ),
    pytest.param(
        _config(TWO_LAYERS, [_record(A, chains=[{"layers": [0, 5]}])]),
        "record 0: chain 0 names layer 5, out of range (2 layers)",
        id="chain-layer-out-of-range",
    ),
    pytest.param(
        _config(TWO_LAYERS, [_record(A, chains=[{"layers": []}])]),
        "record 0: chain 0 names no layers",
        id="empty-chain",
    ),
    pytest.param(
        _config([], [_record(A), _record(B, 2)]),
        "record 1: input 0 links to record 2, out of range (2 records)",
        id="link-out-of-range",
    ),
    pytest.param(
        _config([], [_record(A, -1)]),
        "record 0: input 0 links to record -1, out of range (1 records)",
        id="link-negative",
    ),
    # Loops.
    pytest.param(
        _config([], [_record(A, 0)]),
        "record 0 is its own input through 0 -> 0",
        id="record-self-loop",
    ),
    pytest.param(
        _config([], [_record(A), _record(B, 2), _record(C, 1)]),
        "record 1 is its own input through 1 -> 2 -> 1",
        id="record-two-cycle",
    ),
    pytest.param(
        _config([], [_record(A, 3), _record(B, 0), _record(C, 1), _record(A, 2)]),
        "record 0 is its own input through 0 -> 3 -> 2 -> 1 -> 0",
        id="record-four-cycle",
    ),
    pytest.param(
        _config([_layer(A, 0)], []),
        "layer 0 is its own parent through 0 -> 0",
        id="parent-self-loop",
    ),
    pytest.param(
        _config([_layer(A), _layer(B, 2), _layer(C, 1)], []),
        "layer 1 is its own parent through 1 -> 2 -> 1",
        id="parent-two-cycle",
    ),
    pytest.param(
        _config([{"blob": A}], []),
        "layer 0 is its own parent through 0 -> 0",
        id="missing-parent-is-zero-so-a-loop",
    ),
    # Inputs.
    pytest.param(
        _config([], [_record(A), _record(B, inputs=[[{"link": 0}], []])]),
        "record 1: input 1 is empty: it names no record",
        id="empty-input-list",
    ),
    pytest.param(
        _config([], [_record(A, inputs=[None])]),
        "record 0: input 0 is empty",
        id="null-input-list",
    ),
    # Digests.
    pytest.param(
        _config([_layer("sha256:../../etc")], []),
        "layers[0].blob: invalid digest 'sha256:../../etc': the hex part",
        id="blob-dot-dot",
    ),
    pytest.param(
        _config([_layer(A.upper())], []),
        "layers[0].blob: invalid digest 'SHA256:",
        id="blob-upper-case",
    ),
    pytest.param(
        _config([_layer("sha256:" + "a" * 63)], []),
        "needs 64 hex digits, this has 63",
        id="blob-short",
    ),
    pytest.param(
        _config([], [_record("md5:" + "a" * 32)]),
        "records[0].digest: invalid digest 'md5:",
        id="record-digest-md5",
    ),
    pytest.param(
        _config([_layer("sha256:" + "a" * 63 + "\x00")], []),
        "invalid digest 'sha256:aaaa",
        id="blob-nul",
    ),
    pytest.param(
        _config([_layer(A, annotations=_annotations(diffID="sha256:x"))], []),
        "layer 0: diffID: invalid digest 'sha256:x'",
        id="bad-diff-id",
    ),
    pytest.param(
        _config([_layer(A, annotations=_annotations(diffID=""))], []),
        "layer 0: diffID: invalid digest '': no ':'",
        id="empty-diff-id",
    ),
    # Types and missing fields.
    pytest.param(
        _config([_layer(A, "1")], []),
        "layers[0].parent: expected an integer, got a string",
        id="parent-string",
    ),
    pytest.param(
        _config([_layer(A, 1.0)], []),
        "layers[0].parent: expected an integer, got a number with a fraction",
        id="parent-float",
    ),
    pytest.param(
        _config([_layer(A, True)], []),
        "layers[0].parent: expected an integer, got true or false",
        id="parent-bool",
    ),
    pytest.param(
        _config([_layer(A, None)], []),
        "layers[0].parent: expected an integer, got null",
        id="parent-null",
    ),
    pytest.param(
        _config([_layer(A, 2**63)], []),
        "layers[0].parent: 9223372036854775808 does not fit in 64 bits",
        id="parent-too-big",
    ),
    pytest.param(
        json.dumps({"layers": {"0": _layer()}}).encode(),
        "layers: expected an array, got an object",
        id="layers-object",
    ),
    pytest.param(
        _config(["sha256:" + "a" * 64], []),
        "layers[0]: expected an object, got a string",
        id="layer-string",
    ),
    pytest.param(
        _config([{"parent": -1}], []),
        "layers[0].blob: missing",
        id="blob-missing",
    ),
    pytest.param(
        _config([], [{"inputs": []}]),
        "records[0].digest: missing",
        id="digest-missing",
    ),
    pytest.param(
        _config([], [_record(A), _record(B, inputs=[[{"selector": "x"}]])]),
        "records[1].inputs[0][0].link: missing",
        id="link-missing",
    ),
    pytest.param(
        _config([_layer()], [_record(A, layers=[{"createdAt": TIME}])]),
        "records[0].layers[0].layer: missing",
        id="result-layer-missing",
    ),
    pytest.param(
        _config([], [_record(A), _record(B, inputs=[[{"link": 0, "selector": 5}]])]),
        "records[1].inputs[0][0].selector: expected a string, got an integer",
        id="selector-number",
    ),
    pytest.param(
        _config([_layer(A, annotations=_annotations(size=-1))], []),
        "layer 0: size -1 is negative",
        id="negative-size",
    ),
    pytest.param(
        _config([_layer(A, annotations="x")], []),
        "layers[0].annotations: expected an object, got a string",
        id="annotations-string",
    ),
    pytest.param(
        b"[]",
        "expected a JSON object, got an array",
        id="top-level-array",
    ),
    pytest.param(b"null", "expected a JSON object, got null", id="top-level-null"),
    pytest.param(
        b'{"layers":[],"layers":[]}',
        "top level: 'layers' appears twice",
        id="duplicate-key",
    ),
    pytest.param(
        _config([{"blob": A, "Parent": -1}], []),
        "layers[0]: key 'Parent' should be 'parent'",
        id="case-variant-key",
    ),
    # Times.
    pytest.param(
        _config(TWO_LAYERS, [_record(A, layers=[{"layer": 0, "createdAt": "now"}])]),
        "record 0: result 0: createdAt: 'now' is not an RFC 3339 time",
        id="time-not-rfc3339",
    ),
    pytest.param(
        _config(
            [_layer(A, annotations=_annotations(createdAt="2026-02-30T00:00:00Z"))],
            [],
        ),
        "layer 0: createdAt: '2026-02-30T00:00:00Z' is not a valid date and time",
        id="time-february-30",
    ),
    pytest.param(
        _config(
            TWO_LAYERS,
            [_record(A, chains=[{"layers": [0], "createdAt": "2026-01-01 00:00:00Z"}])],
        ),
        "record 0: chain 0: createdAt: '2026-01-01 00:00:00Z' is not an RFC 3339",
        id="time-space",
    ),
    # Not JSON.
    pytest.param(b"", "not valid JSON: Expecting value", id="empty"),
    pytest.param(b"{", "not valid JSON", id="truncated"),
    pytest.param(b"{}x", "unexpected data after the JSON value", id="trailing-garbage"),
    pytest.param(b"{}\n{}", "unexpected data after the JSON value", id="second-value"),
    pytest.param(b"[" * 50_000, "nested too deeply", id="deeply-nested"),
    pytest.param(
        b'{"x":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "nested too deeply",
        id="deeply-nested-in-unknown-field",
    ),
]


@pytest.mark.parametrize(("data", "reason"), INVALID)
def test_invalid_config_is_refused_with_its_reason(data, reason):
    with pytest.raises(InvalidManifest) as caught:
        CacheConfig.parse(data, source="manifests/app")

    message = str(caught.value)
    assert message.startswith("manifests/app: ")
    assert reason in message


@pytest.mark.parametrize(
    "created_at",
    [
        pytest.param("2026-12-04T15:05:39Z", id="no-fraction"),
        pytest.param("2026-12-04T15:05:39.1Z", id="one-digit"),
        pytest.param("2026-12-04T15:05:39.96686266Z", id="eight-digits"),
        pytest.param("2026-12-04T16:05:39.5+01:00", id="offset"),
        pytest.param("2024-02-29T00:00:00Z", id="leap-day"),
        pytest.param("0001-01-01T00:00:00Z", id="zero"),
    ],
)
def test_rfc3339_times_are_kept_as_written(created_at):
    data = _config(
        TWO_LAYERS, [_record(A, layers=[{"layer": 1, "createdAt": created_at}])]
    )

    config = CacheConfig.parse(data, source="x")

    assert config.records[0].results[0].created_at == created_at
    assert created_at.encode() in config.to_local_bytes()


def test_validate_checks_a_config_built_in_code():
    config = CacheConfig(
        layers=(CacheLayer(parse_digest(A), parent=-1),),
        records=(CacheRecord(parse_digest(A), results=(CacheResult(layer=3),)),),
    )

    with pytest.raises(InvalidManifest, match="record 0: result 0 names layer 3"):
        config.validate()


def test_nothing_is_written_from_an_invalid_config():
    config = CacheConfig(
        layers=(
            CacheLayer(
                parse_digest(A),
                parent=-1,
                annotations=LayerAnnotations(
                    "m", "sha256:x", 1, "2026-01-01T00:00:00Z"
                ),
            ),
        ),
        records=(CacheRecord(parse_digest(A), inputs=((CacheInput(link=0),),)),),
    )

    for write in (config.to_s3_bytes, config.to_local_bytes, config.layer_descriptors):
        with pytest.raises(InvalidManifest):
            write()


def test_huge_configs_are_checked_without_recursion():
    count = 50_000
    layers = [_layer(A, index - 1) for index in range(count)]
    records = [_record(A, *([index - 1] if index else [])) for index in range(count)]
    records[-1]["layers"] = [{"layer": count - 1, "createdAt": TIME}]
    data = _config(layers, records)

    started = time.monotonic()
    config = CacheConfig.parse(data, source="x")

    assert len(config.records) == count
    assert CacheConfig.parse(config.to_local_bytes(), source="y") == config
    assert len(config.trim_to_min().layers) == count
    assert time.monotonic() - started < 30


def test_long_record_loop_is_found_without_recursion():
    count = 20_000
    records = [_record(A, (index + 1) % count) for index in range(count)]

    with pytest.raises(InvalidManifest, match="is its own input through 0 -> 1 -> 2"):
        CacheConfig.parse(_config([], records), source="x")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from([A, B, -1, 0, 1, "0001-01-01T00:00:00Z"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["layers", "records", "blob", "parent", "annotations", "digest",
             "inputs", "link", "selector", "layer", "chains", "createdAt",
             "diffID", "size", "mediaType", "Layers", "x"]
        ),
        children,
        max_size=5,
    ),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_any_json_is_either_a_valid_config_or_invalid_manifest(value):
    data = json.dumps(value).encode()

    try:
        config = CacheConfig.parse(data, source="x")
    except InvalidManifest:
        return

    config.validate()
    assert CacheConfig.parse(config.to_local_bytes(), source="y") == config


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_are_either_a_valid_config_or_invalid_manifest(data):
    try:
        CacheConfig.parse(data, source="x")
    except InvalidManifest as error:
        assert str(error).startswith("x: ")


@settings(max_examples=200)
@given(st.data())
def test_damaged_buildkit_manifest_is_only_ever_invalid(buildkit_s3_manifest, data):
    original = bytearray(buildkit_s3_manifest())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))

    try:
        config = CacheConfig.parse(bytes(original), source="x")
    except InvalidManifest:
        return

    config.validate()
