"""Between the S3 form and the local form of a cache config.

The S3 form keeps each layer's media type, size, diffID and creation time in
the config (``annotations``); the local form keeps them on the layer
descriptors of its index or manifest. Both keep layers and records in the
same order, so only the per-layer facts move. Times are copied as text; the
S3 exporter would rewrite one with a zone offset in UTC, but BuildKit only
ever writes UTC times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from s3cache_cli.cacheconfig.model import ZERO_TIME, CacheLayer, LayerAnnotations
from s3cache_cli.cacheconfig.validate import is_zero_time
from s3cache_cli.errors import InvalidManifest
from s3cache_cli.oci.mediatypes import CREATED_AT_ANNOTATION, UNCOMPRESSED_ANNOTATION

_T = TypeVar("_T")


def layer_descriptors(layers: Sequence[CacheLayer]) -> list[dict]:
    """One OCI descriptor per distinct blob, in layer order, as BuildKit
    writes them into a local cache's index or manifest."""
    descriptors = []
    seen = set()
    for index, layer in enumerate(layers):
        if layer.blob not in seen:
            seen.add(layer.blob)
            descriptors.append(_descriptor(index, layer))

    return descriptors


def _descriptor(index: int, layer: CacheLayer) -> dict:
    annotations = layer.annotations
    if annotations is None:
        raise InvalidManifest(
            f"layer {index} ({layer.blob}) has no annotations, so it has no "
            "media type, size or diffID for its descriptor"
        )

    # Go writes map keys sorted; BuildKit leaves out an unknown creation time.
    descriptor_annotations = {UNCOMPRESSED_ANNOTATION: annotations.diff_id}
    if not is_zero_time(annotations.created_at):
        descriptor_annotations[CREATED_AT_ANNOTATION] = annotations.created_at

    return {
        "mediaType": annotations.media_type,
        "digest": str(layer.blob),
        "size": annotations.size,
        "annotations": dict(sorted(descriptor_annotations.items())),
    }


def annotate_layers(
    layers: Sequence[CacheLayer], descriptors: Sequence[Mapping]
) -> tuple[CacheLayer, ...]:
    """The layers with annotations taken from their blobs' descriptors.

    Descriptors of other blobs (the cache config's own, say) are ignored.
    """
    by_digest = {
        descriptor["digest"]: descriptor
        for descriptor in descriptors
        if isinstance(descriptor, Mapping) and isinstance(descriptor.get("digest"), str)
    }
    return tuple(
        replace(layer, annotations=_annotations(layer, by_digest)) for layer in layers
    )


def _annotations(
    layer: CacheLayer, by_digest: Mapping[str, Mapping]
) -> LayerAnnotations:
    blob = str(layer.blob)
    descriptor = by_digest.get(blob)
    if descriptor is None:
        raise InvalidManifest(f"layer blob {blob} has no descriptor")

    annotations = descriptor.get("annotations")
    if annotations is None:
        annotations = {}
    if not isinstance(annotations, Mapping):
        raise InvalidManifest(
            f"the descriptor of {blob} has annotations that are not an object"
        )

    diff_id = annotations.get(UNCOMPRESSED_ANNOTATION)
    if not isinstance(diff_id, str):
        raise InvalidManifest(
            f"the descriptor of {blob} has no {UNCOMPRESSED_ANNOTATION} "
            "annotation, so the layer's diffID is unknown"
        )

    return LayerAnnotations(
        media_type=_field(descriptor, "mediaType", str, blob),
        diff_id=diff_id,
        size=_field(descriptor, "size", int, blob),
        created_at=_created_at(annotations, blob),
    )


def _created_at(annotations: Mapping, blob: str) -> str:
    created_at = annotations.get(CREATED_AT_ANNOTATION, ZERO_TIME)
    if not isinstance(created_at, str):
        raise InvalidManifest(
            f"the descriptor of {blob}: {CREATED_AT_ANNOTATION} is not a string"
        )

    return created_at


def _field(descriptor: Mapping, name: str, kind: type[_T], blob: str) -> _T:
    value = descriptor.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidManifest(
            f"the descriptor of {blob}: {name} should be {kind.__name__}, "
            f"not {type(value).__name__}"
        )

    return value
