"""Write a cache config exactly as BuildKit's Go structs marshal it.

Fields come in the structs' order. A field tagged ``omitempty`` is left out
when it holds Go's zero value, which for ``parent`` means layer 0 (not -1).
Times are not ``omitempty`` in effect (a struct is never empty to Go), so a
``createdAt`` is always written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from s3cache_cli.cacheconfig.gojson import go_string
from s3cache_cli.cacheconfig.model import (
    CacheInput,
    CacheLayer,
    CacheRecord,
    CacheResult,
    ChainedResult,
    LayerAnnotations,
)
from s3cache_cli.errors import InvalidManifest


def encode_config(
    layers: Sequence[CacheLayer],
    records: Sequence[CacheRecord],
    *,
    with_annotations: bool,
) -> bytes:
    """The config's JSON bytes: compact, no trailing newline."""
    if with_annotations:
        _require_annotations(layers)

    members = []
    if layers:
        items = (_layer(layer, with_annotations) for layer in layers)
        members.append(f'"layers":{_array(items)}')
    if records:
        members.append(f'"records":{_array(_record(record) for record in records)}')

    return _object(members).encode("utf-8")


def _require_annotations(layers: Sequence[CacheLayer]) -> None:
    for index, layer in enumerate(layers):
        if layer.annotations is None:
            raise InvalidManifest(
                f"layer {index} ({layer.blob}) has no annotations (media type, "
                "diffID, size), which the S3 form needs"
            )


def _layer(layer: CacheLayer, with_annotations: bool) -> str:
    members = [f'"blob":{go_string(str(layer.blob))}']
    if layer.parent != 0:
        members.append(f'"parent":{layer.parent}')
    if with_annotations and layer.annotations is not None:
        members.append(f'"annotations":{_annotations(layer.annotations)}')

    return _object(members)


def _annotations(annotations: LayerAnnotations) -> str:
    members = []
    if annotations.media_type:
        members.append(f'"mediaType":{go_string(annotations.media_type)}')
    if annotations.diff_id:
        members.append(f'"diffID":{go_string(annotations.diff_id)}')
    if annotations.size != 0:
        members.append(f'"size":{annotations.size}')
    members.append(f'"createdAt":{go_string(annotations.created_at)}')
    return _object(members)


def _record(record: CacheRecord) -> str:
    members = []
    if record.results:
        members.append(f'"layers":{_array(map(_result, record.results))}')
    if record.chains:
        members.append(f'"chains":{_array(map(_chain, record.chains))}')
    members.append(f'"digest":{go_string(str(record.digest))}')
    if record.inputs:
        members.append(f'"inputs":{_array(map(_choices, record.inputs))}')
    return _object(members)


def _result(result: CacheResult) -> str:
    return f'{{"layer":{result.layer},"createdAt":{go_string(result.created_at)}}}'


def _chain(chain: ChainedResult) -> str:
    layers = _array(str(index) for index in chain.layers)
    return f'{{"layers":{layers},"createdAt":{go_string(chain.created_at)}}}'


def _choices(choices: Sequence[CacheInput]) -> str:
    return _array(map(_input, choices))


def _input(choice: CacheInput) -> str:
    members = []
    if choice.selector:
        members.append(f'"selector":{go_string(choice.selector)}')
    members.append(f'"link":{choice.link}')
    return _object(members)


def _object(members: Sequence[str]) -> str:
    return "{" + ",".join(members) + "}"


def _array(items: Iterable[str]) -> str:
    return "[" + ",".join(items) + "]"
