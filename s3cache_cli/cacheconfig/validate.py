"""The checks BuildKit's importer makes on a cache config, made up front.

BuildKit finds a bad index or a loop only when it walks the records during a
build, and then silently builds without the cache. s3cache checks every layer
and record before it writes or trusts a config, so the user hears why. It is
stricter than BuildKit in two places: an index is checked even where
BuildKit would never look, and a chain must name at least one layer.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from typing import NoReturn

from s3cache_cli.cacheconfig.model import (
    NO_PARENT,
    CacheInput,
    CacheLayer,
    CacheRecord,
    LayerAnnotations,
)
from s3cache_cli.digest import Digest, InvalidDigest, parse_digest
from s3cache_cli.errors import InvalidManifest

# RFC 3339 as Go's time.Time reads it from JSON: up to 9 fraction digits.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:Z|[+-](\d{2}):(\d{2}))",
    re.ASCII,
)
_ZERO_TIME = re.compile(r"0001-01-01T00:00:00(?:\.0+)?(?:Z|[+-]00:00)", re.ASCII)


def check_config(layers: Sequence[CacheLayer], records: Sequence[CacheRecord]) -> None:
    """Raise InvalidManifest, naming the layer or record, for what BuildKit
    would refuse."""
    for index, layer in enumerate(layers):
        _check_layer(index, layer, len(layers))
    _check_parent_loops(layers)

    for index, record in enumerate(records):
        _check_record(index, record, len(layers), len(records))
    _check_input_loops(records)


def time_problem(text: str) -> str | None:
    """Why ``text`` is not a time Go would read, or None when it is one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return f"{text!r} is not an RFC 3339 time"

    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    offset_hour, offset_minute = (int(n or 0) for n in match.groups()[7:])
    # Year 0 has a 29th of February, as 2000 has.
    if not (
        1 <= month <= 12
        and 1 <= day <= calendar.monthrange(year or 2000, month)[1]
        and hour < 24
        and minute < 60
        and second < 60
        and offset_hour < 24
        and offset_minute < 60
    ):
        return f"{text!r} is not a valid date and time"

    return None


def is_zero_time(text: str) -> bool:
    """Whether ``text`` is Go's zero time (BuildKit's "unknown")."""
    return _ZERO_TIME.fullmatch(text) is not None


def _check_layer(index: int, layer: CacheLayer, layer_count: int) -> None:
    if not isinstance(layer.blob, Digest):
        _fail(f"layer {index}: blob {layer.blob!r} is not a digest")

    if layer.parent != NO_PARENT and not 0 <= layer.parent < layer_count:
        _fail(
            f"layer {index}: parent {layer.parent} is out of range "
            f"({layer_count} layers; -1 means none)"
        )

    if layer.annotations is not None:
        _check_annotations(f"layer {index}", layer.annotations)


def _check_annotations(where: str, annotations: LayerAnnotations) -> None:
    try:
        parse_digest(annotations.diff_id)
    except InvalidDigest as error:
        _fail(f"{where}: diffID: {error}")

    if annotations.size < 0:
        _fail(f"{where}: size {annotations.size} is negative")

    _check_time(f"{where}: createdAt", annotations.created_at)


def _check_time(where: str, text: str) -> None:
    problem = time_problem(text)
    if problem is not None:
        _fail(f"{where}: {problem}")


def _check_parent_loops(layers: Sequence[CacheLayer]) -> None:
    # Each layer has one parent, so a walk up from any layer either reaches a
    # root, reaches a layer already known to, or comes back onto itself.
    unknown, walking, rooted = 0, 1, 2
    state = [unknown] * len(layers)
    for start in range(len(layers)):
        walk = []
        index = start
        while index != NO_PARENT and state[index] == unknown:
            state[index] = walking
            walk.append(index)
            index = layers[index].parent

        if index != NO_PARENT and state[index] == walking:
            loop = [*walk[walk.index(index) :], index]
            _fail(f"layer {index} is its own parent through {_arrows(loop)}")

        for visited in walk:
            state[visited] = rooted


def _check_record(
    index: int, record: CacheRecord, layer_count: int, record_count: int
) -> None:
    where = f"record {index}"
    if not isinstance(record.digest, Digest):
        _fail(f"{where}: digest {record.digest!r} is not a digest")

    for number, result in enumerate(record.results):
        _check_layer_index(f"{where}: result {number}", result.layer, layer_count)
        _check_time(f"{where}: result {number}: createdAt", result.created_at)

    for number, chain in enumerate(record.chains):
        if not chain.layers:
            _fail(f"{where}: chain {number} names no layers")
        for layer in chain.layers:
            _check_layer_index(f"{where}: chain {number}", layer, layer_count)
        _check_time(f"{where}: chain {number}: createdAt", chain.created_at)

    for number, choices in enumerate(record.inputs):
        _check_input(f"{where}: input {number}", choices, record_count)


def _check_layer_index(where: str, layer: int, layer_count: int) -> None:
    if not 0 <= layer < layer_count:
        _fail(f"{where} names layer {layer}, out of range ({layer_count} layers)")


def _check_input(where: str, choices: Sequence[CacheInput], record_count: int) -> None:
    if not choices:
        _fail(f"{where} is empty: it names no record")

    for choice in choices:
        if not 0 <= choice.link < record_count:
            _fail(
                f"{where} links to record {choice.link}, out of range "
                f"({record_count} records)"
            )


def _check_input_loops(records: Sequence[CacheRecord]) -> None:
    # Depth-first with an explicit stack: a config may hold long chains of
    # records, deeper than Python's recursion limit.
    unknown, open_, done = 0, 1, 2
    state = [unknown] * len(records)
    for start in range(len(records)):
        if state[start] != unknown:
            continue

        state[start] = open_
        stack = [(start, iter(records[start].links()))]
        while stack:
            index, links = stack[-1]
            for link in links:
                if state[link] == open_:
                    path = [node for node, _ in stack]
                    loop = [*path[path.index(link) :], link]
                    _fail(f"record {link} is its own input through {_arrows(loop)}")
                if state[link] == unknown:
                    state[link] = open_
                    stack.append((link, iter(records[link].links())))
                    break
            else:
                state[index] = done
                stack.pop()


def _arrows(indexes: Sequence[int]) -> str:
    return " -> ".join(map(str, indexes))


def _fail(reason: str) -> NoReturn:
    raise InvalidManifest(reason)
