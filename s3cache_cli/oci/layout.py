"""Read a local OCI image layout as BuildKit's ``type=local`` cache writes it.

``index.json`` tags a top-level manifest in one of two forms: an image index
(OCI, or a Docker manifest list) whose ``manifests`` are the layer descriptors
followed by the cache config descriptor, or an OCI image manifest whose
``config`` is the cache config and whose ``layers`` are the layers. Every
path is built from a validated ``Digest`` and must stay inside the layout,
symlinks included; ``oci-layout`` is not required (BuildKit v0.11 omits it).

One malformed entry of ``index.json`` does not spoil the others: BuildKit's
importer reads only the entry it needs, so the reader keeps every good entry
and reports each bad one with its position and the reason.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from s3cache_cli.digest import (
    HEX_LENGTHS,
    Digest,
    DigestVerifier,
    InvalidDigest,
    parse_digest,
)
from s3cache_cli.errors import (
    CacheNotFound,
    CredentialsError,
    IntegrityError,
    InvalidManifest,
)
from s3cache_cli.oci import mediatypes

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig

log = logging.getLogger(__name__)

DEFAULT_TAG = "latest"
# When s3cache wrote an index.json entry. BuildKit writes only the tag on its
# own entries, and keeps every annotation of the entries it does not rewrite.
WRITTEN_ANNOTATION = "org.opencontainers.image.created"
# index.json, manifests and cache configs are small JSON documents; anything
# bigger is refused before it is read into memory.
DOCUMENT_SIZE_LIMIT = 64 * 1024 * 1024
_TOP_LEVEL_TYPES = mediatypes.INDEX_TYPES | mediatypes.MANIFEST_TYPES
PERMISSION_HINT = (
    "s3cache must read the directory and its files (prune: write them too); "
    "check their owner and mode"
)
_WANTED_DIRECTORY = (
    "give the directory a build wrote with --cache-to type=local,dest=DIR "
    "(the one holding index.json)"
)


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

    @property
    def written(self) -> datetime | None:
        """When the entry says it was written; None without a usable time."""
        return parse_written(self.annotations.get(WRITTEN_ANNOTATION))

    @classmethod
    def from_json(cls, data: object, *, where: str) -> Descriptor:
        """Validate one descriptor read from ``where``; raise InvalidManifest."""
        if not isinstance(data, dict):
            raise InvalidManifest(f"{where}: a descriptor must be a JSON object")
        missing = [key for key in ("digest", "size") if key not in data]
        if missing:
            raise InvalidManifest(f"{where}: {' and '.join(missing)} missing")

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


@dataclass(frozen=True)
class BadEntry:
    """An entry of ``index.json`` that cannot be used, where it is and why."""

    position: int
    reason: str  # "index.json manifests[2]: size must be ..."
    tag: str | None = None  # its tag, when that much of it can be read

    @property
    def label(self) -> str:
        return f"manifests[{self.position}]"


@dataclass(frozen=True)
class Index:
    """The entries of ``index.json`` in their order, good and bad."""

    items: tuple[Descriptor | BadEntry, ...]

    @property
    def entries(self) -> tuple[Descriptor, ...]:
        return tuple(item for item in self.items if isinstance(item, Descriptor))

    @property
    def bad(self) -> tuple[BadEntry, ...]:
        return tuple(item for item in self.items if isinstance(item, BadEntry))

    def last_with_tag(self, tag: str) -> Descriptor | BadEntry | None:
        """The entry a reader takes for ``tag``: the last one that names it."""
        for item in reversed(self.items):
            if item.tag == tag:
                return item
        return None


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

    def read_index(self) -> Index:
        """The entries of ``index.json``; CacheNotFound when there is none.

        A malformed entry becomes a ``BadEntry``; only a file that is not a
        JSON object with a ``manifests`` list fails as a whole.
        """
        self._check_root()
        data = self._read_index_file()
        check_blob_folders(self.root)
        document = _parse_json(data, str(self.index_path))
        items = _index_items(document, str(self.index_path))
        for bad in items.bad:
            log.debug("%s: %s", self.index_path, bad.reason)
        return items

    def tags(self) -> list[str]:
        return [entry.tag for entry in self.read_index().entries if entry.tag]

    def resolve(
        self, *, tag: str | None = None, digest: Digest | None = None
    ) -> Descriptor:
        """The top-level manifest named by ``digest``, else by ``tag`` (or latest)."""
        if digest is not None:
            return self._resolve_digest(digest)

        wanted = tag or DEFAULT_TAG
        index = self.read_index()
        found = index.last_with_tag(wanted)
        if isinstance(found, BadEntry):
            raise InvalidManifest(
                f"{self.index_path}: the entry for tag {wanted!r} is unusable: "
                f"{found.reason}",
                hint="fix or remove that entry of index.json, or export the "
                "cache into the directory again",
            )
        if found is None:
            raise CacheNotFound(
                f"{self.index_path} has no tag {wanted!r}", hint=_tags_hint(index)
            )
        return found

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
        index = self.read_index()
        for entry in index.entries:
            if entry.digest == digest:
                return entry

        # BuildKit accepts a digest that no tag names, as long as the blob exists.
        if not self.blob_path(digest).exists():
            raise CacheNotFound(
                f"{self.root} has no manifest {digest}: no tag names it and "
                "there is no blob of that digest",
                hint=_tags_hint(index),
            )
        data = self.read_blob(digest)
        document = _parse_json(data, f"manifest {digest} in {self.root}")
        media_type = document.get("mediaType", "") if isinstance(document, dict) else ""
        return Descriptor(str(media_type), digest, len(data))

    def _check_root(self) -> None:
        """The directory exists, is one, and may be read: else say which not."""
        try:
            info = self.root.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise CacheNotFound(
                f"{self.root} does not exist", hint=_WANTED_DIRECTORY
            ) from None
        except PermissionError:
            raise _permission_denied(self.root) from None

        if not stat.S_ISDIR(info.st_mode):
            raise CacheNotFound(
                f"{self.root} is a file, not a directory", hint=_file_hint(self.root)
            )

    def _read_index_file(self) -> bytes:
        self._check_inside(self.index_path)
        try:
            with self.index_path.open("rb") as stream:
                data = stream.read(DOCUMENT_SIZE_LIMIT + 1)
        except FileNotFoundError:
            raise CacheNotFound(
                f"{self.root} holds no cache: index.json is missing",
                hint=_WANTED_DIRECTORY,
            ) from None
        except PermissionError:
            # Name the directory itself when it is what may not be entered.
            denied = self.index_path if os.access(self.root, os.X_OK) else self.root
            raise _permission_denied(denied) from None
        except OSError as error:
            message = f"cannot read {self.index_path}: {error.strerror}"
            raise IntegrityError(message) from error

        if len(data) > DOCUMENT_SIZE_LIMIT:
            raise InvalidManifest(
                f"{self.index_path} is larger than {DOCUMENT_SIZE_LIMIT} bytes; refused"
            )
        return data

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
        except PermissionError:
            raise _permission_denied(path) from None
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


def check_blob_folders(root: Path) -> None:
    """Refuse ``blobs`` or ``blobs/<algorithm>`` when it is a symbolic link.

    Every command refuses the same directory, wherever the link leads: one
    that followed it would write or read blobs that another then cannot see.
    """
    blobs = root / "blobs"
    for folder in [blobs, *(blobs / algorithm for algorithm in HEX_LENGTHS)]:
        if folder.is_symlink():
            raise IntegrityError(
                f"{folder} is a symbolic link (to {os.readlink(folder)}); refused",
                hint="a cache directory must hold its blob folders itself: "
                "put the folder the link leads to in its place",
            )


def format_written(moment: datetime) -> str:
    """An RFC 3339 time in UTC, as BuildKit writes its times."""
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def parse_written(value: str | None) -> datetime | None:
    """An RFC 3339 time with its zone; anything else is no time at all."""
    if not value or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


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
    return [
        Descriptor.from_json(item, where=f"{where} {key}[{index}]")
        for index, item in enumerate(_json_list(document, key, where))
    ]


def _json_list(document: object, key: str, where: str) -> list[Any]:
    if not isinstance(document, dict):
        raise InvalidManifest(f"{where}: not a JSON object")

    items = document.get(key, [])
    if not isinstance(items, list):
        raise InvalidManifest(f"{where}: {key!r} must be a list")
    return items


def _index_items(document: object, where: str) -> Index:
    items = _json_list(document, "manifests", where)
    return Index(tuple(_index_item(item, index) for index, item in enumerate(items)))


def _index_item(data: object, position: int) -> Descriptor | BadEntry:
    """One entry of index.json's ``manifests``, or why it cannot be one."""
    where = f"index.json manifests[{position}]"
    try:
        descriptor = Descriptor.from_json(data, where=where)
        _check_top_level_type(descriptor, where)
    except InvalidManifest as error:
        return BadEntry(position, error.message, _readable_tag(data))
    return descriptor


def _check_top_level_type(descriptor: Descriptor, where: str) -> None:
    """A tag names an image index or manifest; anything else is no cache."""
    if not descriptor.media_type:
        raise InvalidManifest(f"{where}: mediaType is missing")
    if descriptor.media_type not in _TOP_LEVEL_TYPES:
        raise InvalidManifest(
            f"{where}: media type {descriptor.media_type!r} is neither an image "
            f"index nor an image manifest"
        )


def _readable_tag(data: object) -> str | None:
    annotations = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(annotations, dict):
        return None
    tag = annotations.get(mediatypes.REF_NAME_ANNOTATION)
    return tag if isinstance(tag, str) else None


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


def _tags_hint(index: Index) -> str:
    tags = [entry.tag for entry in index.entries if entry.tag]
    hint = "tags in index.json: " + ", ".join(tags)
    if not tags:
        hint = "index.json names no tags; use digest= to pick an entry"
    if index.bad:
        # The tag may be among the entries that cannot be read.
        unread = ", ".join(bad.label for bad in index.bad)
        hint += f"; unreadable entries: {unread} (s3cache inspect shows why)"
    return hint


def _permission_denied(path: Path) -> CredentialsError:
    return CredentialsError(
        f"cannot read {path}: permission denied",
        hint=PERMISSION_HINT,
    )


def _file_hint(path: Path) -> str:
    if path.name == "index.json":
        return f"give the directory that holds it: {path.parent}"
    return _WANTED_DIRECTORY
