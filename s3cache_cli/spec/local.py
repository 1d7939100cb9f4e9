"""``type=local``: an OCI layout directory for --cache-from or --cache-to."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from s3cache_cli.spec import values
from s3cache_cli.spec.attributes import Attributes, Table
from s3cache_cli.spec.model import Direction, LocalSpec

_COMPRESSION = ("compression", "compression-level", "force-compression")
_MODE = values.choice("min", "max")

FROM_TABLE = Table(
    "type=local on --cache-from",
    {
        "src": values.directory,
        "tag": values.tag,
        "digest": values.digest,
        "mode": _MODE,
        "ignore-error": values.boolean,
    },
    ignored=(*_COMPRESSION, "image-manifest", "oci-mediatypes"),
    misplaced={"dest": "--cache-from reads the directory given as src=DIR"},
)
TO_TABLE = Table(
    "type=local on --cache-to",
    {
        "dest": values.directory,
        "tag": values.tag,
        "image-manifest": values.boolean,
        "oci-mediatypes": values.boolean,
        "mode": _MODE,
        "ignore-error": values.boolean,
    },
    ignored=_COMPRESSION,
    misplaced={
        "src": "--cache-to writes to the directory given as dest=DIR",
        "digest": "digest picks what --cache-from reads; --cache-to writes tag=NAME",
    },
)
_PATH_KEYS = {"from": ("src", "read"), "to": ("dest", "write")}
_FIELD_NAMES = {
    "ignore-error": "ignore_error",
    "image-manifest": "image_manifest",
    "oci-mediatypes": "oci_mediatypes",
}


def build_local(
    attributes: Attributes,
    *,
    direction: Direction,
    advice: Mapping[str, str] | None = None,
) -> LocalSpec:
    read = attributes.read(_table(direction, advice or {}))
    settings = {_FIELD_NAMES.get(key, key): value for key, value in read.read.items()}
    path_key, verb = _PATH_KEYS[direction]
    if path_key not in settings:
        raise attributes.source.error(
            f"type=local on --cache-{direction} needs {path_key}=DIR",
            span=attributes.source.end,
            attribute=path_key,
            accepted=f"{path_key} is the directory to {verb}, e.g. {path_key}=./cache",
        )

    path = settings.pop(path_key)
    tag_given = "tag" in settings
    spec = LocalSpec(
        path=path,
        direction=direction,
        **settings,
        ignored=read.ignored,
        tag_given=tag_given,
    )
    _check_media_types(attributes, spec)
    if direction == "from" and spec.mode is not None:
        warning = f"mode={spec.mode} means nothing on --cache-from; it is ignored"
        spec = dataclasses.replace(spec, warnings=(warning,))
    return spec


def _table(direction: Direction, advice: Mapping[str, str]) -> Table:
    """The keys of a direction, with a command's own words for misplaced ones."""
    table = FROM_TABLE if direction == "from" else TO_TABLE
    misplaced = {key: advice.get(key, why) for key, why in table.misplaced.items()}
    return dataclasses.replace(table, misplaced=misplaced)


def _check_media_types(attributes: Attributes, spec: LocalSpec) -> None:
    if spec.image_manifest and not spec.oci_mediatypes:
        raise attributes.fail_at_value(
            "oci-mediatypes",
            "oci-mediatypes=false cannot go with image-manifest=true",
            "an image manifest has OCI media types only: drop oci-mediatypes=false, "
            "or write image-manifest=false",
        )
