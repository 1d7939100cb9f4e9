"""Read a local OCI image layout as BuildKit's ``type=local`` cache writes it.

``index.json`` tags a top-level manifest in one of two forms: an image index
(OCI, or a Docker manifest list) whose ``manifests`` are the layer descriptors
followed by the cache config descriptor, or an OCI image manifest whose
``config`` is the cache config and whose ``layers`` are the layers. Every
path is built from a validated ``Digest`` and must stay inside the layout,
symlinks included; ``oci-layout`` is not required (BuildKit v0.11 omits it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from s3cache_cli.digest import Digest, DigestVerifier, InvalidDigest, parse_digest
from s3cache_cli.errors import CacheNotFound, IntegrityError, InvalidManifest
from s3cache_cli.oci import mediatypes

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig

log = logging.getLogger(__name__)

DEFAULT_TAG = "latest"
# index.json, manifests and cache configs are small JSON documents; anything
# bigger is refused before it is read into memory.
DOCUMENT_SIZE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a blob is, its digest and its size."""

    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.annotations.get(mediatypes.REF_NAME_ANNOTATION)

    @classmethod
    def from_json(cls, data: object, *, where: str) -> Descriptor:
        """Validate one descriptor read from ``where``; raise InvalidManifest."""
        if not isinstance(data, dict):
            raise InvalidManifest(f"{where}: a descriptor must be a JSON object")

        media_type = data.get("mediaType", "")
        size = data.get("size")
        annotations = data.get("annotations") or {}
        if not isinstance(media_type, str):
            raise InvalidManifest(f"{where}: mediaType must be a string")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidManifest(f"{where}: size must be a non-negative integer")
        if not _is_string_map(annotations):
            raise InvalidManifest(f"{where}: annotations must map strings to strings")

        digest = _parse_digest(data.get("digest"), where)
        return cls(media_type, digest, size, MappingProxyType(dict(annotations)))

    def to_json(self) -> dict[str, Any]:
        """The descriptor as OCI JSON, annotations only when there are some."""
        document: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.annotations:
            document["annotations"] = dict(self.annotations)
        return document


class LoadedCache(NamedTuple):
    """A cache read from a layout: its config in the S3 form, and what tags it."""

    config: CacheConfig
    manifest: Descriptor


class OciLayout:
    """Read access to one OCI layout directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        # Blob directories found inside the layout, so that each blob costs
        # one lstat rather than resolving every component of its path.
        self._checked_dirs: set[Path] = set()

    def __repr__(self) -> str:
        return f"OciLayout({str(self.root)!r})"

    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    def read_index(self) -> tuple[Descriptor, ...]:
        """The entries of ``index.json``; CacheNotFound when there is none."""
        if not self.root.is_dir():
            raise CacheNotFound(f"{self.root} is not a directory")
        if not self.index_path.exists():
            raise CacheNotFound(
                f"{self.root} holds no cache: index.json is missing",
                hint="point src= at the directory given to --cache-to type=local",
            )

        document = _parse_json(self._read_file(self.index_path), str(self.index_path))
        entries = _descriptor_list(document, "manifests", str(self.index_path))
        return tuple(entries)

    def tags(self) -> list[str]:
        return [entry.tag for entry in self.read_index() if entry.tag is not None]

    def resolve(
        self, *, tag: str | None = None, digest: Digest | None = None
    ) -> Descriptor:
        """The top-level manifest named by ``digest``, else by ``tag`` (or latest)."""
        if digest is not None:
            return self._resolve_digest(digest)

        wanted = tag or DEFAULT_TAG
        entries = self.read_index()
        for entry in reversed(entries):
            if entry.tag == wanted:
                return entry

        raise CacheNotFound(
            f"{self.index_path} has no tag {wanted!r}",
            hint=_tags_hint(entries),
        )

    def blob_path(self, digest: Digest) -> Path:
        """Where the blob lives; refused when that resolves outside the layout."""
        directory = self.root / "blobs" / digest.algorithm
        path = directory / digest.hex
        if directory not in self._checked_dirs:
            self._check_inside(directory)
            self._checked_dirs.add(directory)
        if path.is_symlink():
            self._check_inside(path)
        return path

    def read_blob(
        self,
        digest: Digest,
        *,
        size: int | None = None,
        limit: int = DOCUMENT_SIZE_LIMIT,
    ) -> bytes:
        """A small blob's bytes, checked against its digest (and size if given)."""
        path = self.blob_path(digest)
        data = self._read_file(path, limit=limit, missing_hint=str(digest))

        verifier = DigestVerifier(digest, size)
        verifier.update(data)
        verifier.check(f"blob {digest} in {self.root}")
        return data

    def load_cache(
        self, *, tag: str | None = None, digest: Digest | None = None
    ) -> LoadedCache:
        """Resolve an entry and read its cache config into the S3 form."""
        from s3cache_cli.cacheconfig import CacheConfig

        manifest = self.resolve(tag=tag, digest=digest)
        where = f"manifest {manifest.digest} in {self.root}"
        document = _parse_json(
            self.read_blob(manifest.digest, size=manifest.size), where
        )

        config_descriptor, layers = split_manifest(document, where)
        config_bytes = self.read_blob(
            config_descriptor.digest, size=config_descriptor.size
        )
        config = CacheConfig.from_local(
            config_bytes,
            [layer.to_json() for layer in layers],
            source=f"{self.root} ({_entry_name(manifest)})",
        )
        log.debug("read %s: %d layers", where, len(layers))
        return LoadedCache(config, manifest)

    def _resolve_digest(self, digest: Digest) -> Descriptor:
        for entry in self.read_index():
            if entry.digest == digest:
                return entry

        # BuildKit accepts a digest that no tag names, as long as the blob exists.
        data = self.read_blob(digest)
        document = _parse_json(data, f"manifest {digest} in {self.root}")
        media_type = document.get("mediaType", "") if isinstance(document, dict) else ""
        return Descriptor(str(media_type), digest, len(data))

    def _read_file(
        self, path: Path, *, limit: int = DOCUMENT_SIZE_LIMIT, missing_hint: str = ""
    ) -> bytes:
        self._check_inside(path)
        try:
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
        except FileNotFoundError:
            raise IntegrityError(
                f"{missing_hint or path} is missing from {self.root}",
                hint="the cache directory is incomplete; export the cache again",
            ) from None
        except OSError as error:
            raise IntegrityError(f"cannot read {path}: {error.strerror}") from error

        if len(data) > limit:
            raise InvalidManifest(f"{path} is larger than {limit} bytes; refused")
        return data

    def _check_inside(self, path: Path) -> None:
        root = self.root.resolve()
        resolved = path.resolve()
        if resolved != root and root not in resolved.parents:
            raise IntegrityError(
                f"{path} leads outside {self.root} (to {resolved}); refused",
                hint="a cache directory must hold its own files, not links out of it",
            )


def split_manifest(document: object, where: str) -> tuple[Descriptor, list[Descriptor]]:
    """The cache config descriptor and the layer descriptors of either form."""
    if not isinstance(document, dict):
        raise InvalidManifest(f"{where}: not a JSON object")

    if "layers" in document or document.get("mediaType") in mediatypes.MANIFEST_TYPES:
        return _split_image_manifest(document, where)
    if "manifests" in document:
        return _split_index(document, where)

    raise InvalidManifest(
        f"{where}: neither an image index nor an image manifest",
        hint="point at a cache written by --cache-to type=local",
    )


def _split_index(document: dict, where: str) -> tuple[Descriptor, list[Descriptor]]:
    entries = _descriptor_list(document, "manifests", where)
    configs = [
        entry for entry in entries if entry.media_type == mediatypes.CACHE_CONFIG
    ]
    if len(configs) != 1:
        raise InvalidManifest(
            f"{where}: expected one {mediatypes.CACHE_CONFIG} entry, "
            f"found {len(configs)}"
        )

    layers = [entry for entry in entries if entry.media_type != mediatypes.CACHE_CONFIG]
    return configs[0], layers


def _split_image_manifest(
    document: dict, where: str
) -> tuple[Descriptor, list[Descriptor]]:
    config = Descriptor.from_json(document.get("config"), where=f"{where} config")
    if config.media_type != mediatypes.CACHE_CONFIG:
        raise InvalidManifest(
            f"{where}: config has media type {config.media_type!r}, "
            f"not {mediatypes.CACHE_CONFIG}",
            hint="this is an image, not a build cache",
        )

    return config, _descriptor_list(document, "layers", where)


def _descriptor_list(document: object, key: str, where: str) -> list[Descriptor]:
    if not isinstance(document, dict):
        raise InvalidManifest(f"{where}: not a JSON object")

    items = document.get(key, [])
    if not isinstance(items, list):
        raise InvalidManifest(f"{where}: {key!r} must be a list")
    return [
        Descriptor.from_json(item, where=f"{where} {key}[{index}]")
        for index, item in enumerate(items)
    ]


def _parse_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidManifest(f"{where} is not valid JSON: {error}") from error


def _parse_digest(value: object, where: str) -> Digest:
    try:
        return parse_digest(value)
    except InvalidDigest as error:
        raise InvalidManifest(f"{where}: {error}") from error


def _is_string_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _entry_name(manifest: Descriptor) -> str:
    return f"tag {manifest.tag}" if manifest.tag else str(manifest.digest)


def _tags_hint(entries: tuple[Descriptor, ...]) -> str:
    tags = [entry.tag for entry in entries if entry.tag]
    if not tags:
        return "index.json names no tags; use digest= to pick an entry"
    return "tags in index.json: " + ", ".join(tags)
