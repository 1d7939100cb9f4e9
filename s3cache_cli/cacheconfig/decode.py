"""From a decoded JSON value to the model, checking each field's type.

This reads what Go's decoder would read into BuildKit's structs, with three
deliberate differences, all of which reject a config rather than guess:

- a key that differs from a field's name only in case (Go would use it);
- a field given twice (Go would take the last);
- ``null`` where a number, string or digest belongs (Go would use zero).

Fields the structs do not have are ignored, as BuildKit ignores them, so they
do not survive a round trip. A missing ``parent`` is layer 0, since Go leaves
out a parent of 0; a missing ``createdAt`` is the zero time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from s3cache_cli.cacheconfig.gojson import JsonObject
from s3cache_cli.cacheconfig.model import (
    ZERO_TIME,
    CacheInput,
    CacheLayer,
    CacheRecord,
    CacheResult,
    ChainedResult,
    LayerAnnotations,
)
from s3cache_cli.digest import Digest, InvalidDigest, parse_digest
from s3cache_cli.errors import InvalidManifest

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

_MISSING = object()
_T = TypeVar("_T")


def read_config(
    value: object,
) -> tuple[tuple[CacheLayer, ...], tuple[CacheRecord, ...]]:
    """The layers and records of a decoded cache config, either form."""
    if not isinstance(value, dict):
        raise InvalidManifest(f"expected a JSON object, got {_kind(value)}")

    top = _Object(value, "", ("layers", "records"))
    layers = tuple(_layer(item, path) for item, path in top.elements("layers"))
    records = tuple(_record(item, path) for item, path in top.elements("records"))
    return layers, records


def _layer(value: object, path: str) -> CacheLayer:
    obj = _Object(value, path, ("blob", "parent", "annotations"))
    raw_annotations = obj.get("annotations")
    annotations = None
    if raw_annotations is not _MISSING and raw_annotations is not None:
        annotations = _annotations(raw_annotations, obj.path_of("annotations"))

    return CacheLayer(
        blob=obj.digest("blob"),
        parent=obj.integer("parent", default=0),
        annotations=annotations,
    )


def _annotations(value: object, path: str) -> LayerAnnotations:
    obj = _Object(value, path, ("mediaType", "diffID", "size", "createdAt"))
    return LayerAnnotations(
        media_type=obj.string("mediaType", default=""),
        diff_id=obj.string("diffID", default=""),
        size=obj.integer("size", default=0),
        created_at=obj.string("createdAt", default=ZERO_TIME),
    )


def _record(value: object, path: str) -> CacheRecord:
    obj = _Object(value, path, ("layers", "chains", "digest", "inputs"))
    return CacheRecord(
        digest=obj.digest("digest"),
        results=tuple(_result(item, where) for item, where in obj.elements("layers")),
        chains=tuple(_chain(item, where) for item, where in obj.elements("chains")),
        inputs=tuple(_inputs(item, where) for item, where in obj.elements("inputs")),
    )


def _result(value: object, path: str) -> CacheResult:
    obj = _Object(value, path, ("layer", "createdAt"))
    return CacheResult(
        layer=obj.integer("layer"),
        created_at=obj.string("createdAt", default=ZERO_TIME),
    )


def _chain(value: object, path: str) -> ChainedResult:
    obj = _Object(value, path, ("layers", "createdAt"))
    return ChainedResult(
        layers=tuple(_integer(item, where) for item, where in obj.elements("layers")),
        created_at=obj.string("createdAt", default=ZERO_TIME),
    )


def _inputs(value: object, path: str) -> tuple[CacheInput, ...]:
    return tuple(_input(item, where) for item, where in _elements(value, path))


def _input(value: object, path: str) -> CacheInput:
    obj = _Object(value, path, ("selector", "link"))
    return CacheInput(
        link=obj.integer("link"),
        selector=obj.string("selector", default=""),
    )


class _Object:
    """The known fields of one JSON object, each read with its path for messages."""

    def __init__(self, value: object, path: str, fields: tuple[str, ...]) -> None:
        if not isinstance(value, dict):
            raise InvalidManifest(f"{path}: expected an object, got {_kind(value)}")

        _check_keys(value, path, fields)
        self.value = value
        self.path = path

    def path_of(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str) -> object:
        return self.value.get(name, _MISSING)

    def integer(self, name: str, *, default: int | None = None) -> int:
        value = self.get(name)
        if value is _MISSING:
            return self._default(name, default)

        return _integer(value, self.path_of(name))

    def string(self, name: str, *, default: str | None = None) -> str:
        value = self.get(name)
        if value is _MISSING:
            return self._default(name, default)

        return _string(value, self.path_of(name))

    def digest(self, name: str) -> Digest:
        text = self.string(name)
        try:
            return parse_digest(text)
        except InvalidDigest as error:
            raise InvalidManifest(f"{self.path_of(name)}: {error}") from None

    def elements(self, name: str) -> Iterator[tuple[object, str]]:
        value = self.get(name)
        return iter(()) if value is _MISSING else _elements(value, self.path_of(name))

    def _default(self, name: str, default: _T | None) -> _T:
        if default is None:
            raise InvalidManifest(f"{self.path_of(name)}: missing")

        return default


def _check_keys(value: dict, path: str, fields: tuple[str, ...]) -> None:
    duplicates = getattr(value, "duplicates", JsonObject.duplicates)
    for name in fields:
        if name in duplicates:
            raise InvalidManifest(f"{path or 'top level'}: {name!r} appears twice")

    folded = {name.casefold(): name for name in fields}
    for key in value:
        name = folded.get(key.casefold())
        if name is not None and name != key:
            raise InvalidManifest(
                f"{path or 'top level'}: key {key!r} should be {name!r} "
                "(BuildKit would read it, s3cache refuses to guess)"
            )


def _elements(value: object, path: str) -> Iterator[tuple[object, str]]:
    if value is None:
        return iter(())

    if not isinstance(value, list):
        raise InvalidManifest(f"{path}: expected an array, got {_kind(value)}")

    return ((item, f"{path}[{index}]") for index, item in enumerate(value))


def _integer(value: object, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidManifest(f"{path}: expected an integer, got {_kind(value)}")

    if not _INT64_MIN <= value <= _INT64_MAX:
        raise InvalidManifest(f"{path}: {value} does not fit in 64 bits")

    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidManifest(f"{path}: expected a string, got {_kind(value)}")

    return value


def _kind(value: object) -> str:
    kinds = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "true or false",
        int: "an integer",
        float: "a number with a fraction or exponent",
        type(None): "null",
    }
    for kind, name in kinds.items():
        if isinstance(value, kind):
            return name

    return type(value).__name__
