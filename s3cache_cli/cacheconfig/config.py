"""BuildKit's cache config (``application/vnd.buildkit.cacheconfig.v0``).

One value holds both forms: parse either, write either. Writing what was
read gives BuildKit's bytes back, as long as the input was what BuildKit
writes; fields BuildKit does not know are dropped, as BuildKit drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from s3cache_cli.cacheconfig import convert, gojson, trim
from s3cache_cli.cacheconfig.decode import read_config
from s3cache_cli.cacheconfig.encode import encode_config
from s3cache_cli.cacheconfig.model import CacheLayer, CacheRecord
from s3cache_cli.cacheconfig.validate import check_config
from s3cache_cli.digest import Digest
from s3cache_cli.errors import InvalidManifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheConfig:
    """A cache config: layer blobs (each on a parent layer) and records (cache
    keys linked to the records of their inputs, with results on layers).

    Values are immutable; methods that change the shape return a new one.
    Everything that writes validates first, so nothing BuildKit would refuse
    is ever written.
    """

    layers: tuple[CacheLayer, ...] = ()
    records: tuple[CacheRecord, ...] = ()

    @classmethod
    def parse(cls, data: bytes, *, source: str) -> CacheConfig:
        """Read and validate a config of either form; ``source`` names it in
        errors (a key, a path)."""
        with _naming(source):
            layers, records = read_config(gojson.decode(data))
            config = cls(layers, records)
            config.validate()

        logger.debug("%s: %d layers, %d records", source, len(layers), len(records))
        return config

    @classmethod
    def from_local(
        cls, config_bytes: bytes, descriptors: Sequence[Mapping], *, source: str
    ) -> CacheConfig:
        """A local-form config with its layer descriptors, as one value that
        can be written in the S3 form."""
        config = cls.parse(config_bytes, source=source)
        with _naming(source):
            layers = convert.annotate_layers(config.layers, descriptors)
            annotated = cls(layers, config.records)
            annotated.validate()

        return annotated

    def validate(self) -> None:
        """Raise InvalidManifest for anything BuildKit's importer would refuse."""
        check_config(self.layers, self.records)

    def to_s3_bytes(self) -> bytes:
        """The S3 form: every layer with its annotations."""
        self.validate()
        return encode_config(self.layers, self.records, with_annotations=True)

    def to_local_bytes(self) -> bytes:
        """The local form: no annotations (they go on the layer descriptors)."""
        self.validate()
        return encode_config(self.layers, self.records, with_annotations=False)

    def layer_descriptors(self) -> list[dict]:
        """The descriptors a local cache lists for the layer blobs."""
        self.validate()
        return convert.layer_descriptors(self.layers)

    def blob_digests(self) -> tuple[Digest, ...]:
        """Every layer blob once, in layer order."""
        return tuple(dict.fromkeys(layer.blob for layer in self.layers))

    def total_size(self) -> int:
        """Bytes of all blobs, each counted once; a layer without annotations
        counts 0, as its size is unknown."""
        sizes: dict[Digest, int] = {}
        for layer in self.layers:
            if layer.annotations is not None:
                sizes.setdefault(layer.blob, layer.annotations.size)

        return sum(sizes.values())

    def trim_to_min(self) -> CacheConfig:
        """The same cache in the ``mode=min`` shape (see SPEC §4)."""
        self.validate()
        trimmed = CacheConfig(*trim.trim_to_min(self.layers, self.records))
        logger.debug(
            "trimmed to min: %d of %d layers kept",
            len(trimmed.layers),
            len(self.layers),
        )
        return trimmed


@contextmanager
def _naming(source: str) -> Iterator[None]:
    """Put ``source`` in front of the reason of an InvalidManifest."""
    try:
        yield
    except gojson.JsonError as error:
        raise InvalidManifest(f"{source}: {error}") from None
    except InvalidManifest as error:
        raise InvalidManifest(f"{source}: {error.message}", hint=error.hint) from None
