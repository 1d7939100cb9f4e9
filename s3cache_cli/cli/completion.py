"""What TAB offers inside a ``--cache-to``/``--cache-from`` flag string.

``type=s3,reg<TAB>`` becomes ``type=s3,region=``: the keys come from the
spec parser's own tables, so completion offers exactly what parsing accepts,
less the keys already in the string. Values are offered where there is a
short list: the types, booleans, ``mode``, ``retry_mode``, and directories
for ``src=``/``dest=``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from s3cache_cli.spec import Direction
from s3cache_cli.spec.local import FROM_TABLE, TO_TABLE
from s3cache_cli.spec.s3 import S3_READERS
from s3cache_cli.spec.tokens import Field, split_fields_leniently
from s3cache_cli.spec.values import Reader, boolean

CHOICES: Mapping[str, tuple[str, ...]] = {
    "mode": ("max", "min"),
    "retry_mode": ("standard", "adaptive"),
}
BOOLEANS = ("true", "false")
_DIRECTORY_KEYS = ("src", "dest")
_ENVIRONMENT = {"bucket": "AWS_BUCKET", "region": "AWS_REGION"}

KEY_HELP: Mapping[str, str] = {
    "type": "s3 or local",
    "bucket": "bucket name",
    "region": "AWS region",
    "name": "cache name; a;b for several",
    "prefix": "prepended to both key prefixes",
    "manifests_prefix": "default manifests/",
    "blobs_prefix": "default blobs/",
    "endpoint_url": "S3-compatible endpoint",
    "use_path_style": "bucket in the path (MinIO, Ceph)",
    "access_key_id": "explicit credentials",
    "secret_access_key": "explicit credentials",
    "session_token": "explicit credentials",
    "upload_parallelism": "concurrent blob transfers",
    "touch_refresh": "touch blobs older than this",
    "retry_mode": "standard or adaptive",
    "retry_max_attempts": "attempts per request",
    "disable_accept_encoding": "for Google Cloud Storage",
    "mode": "min or max",
    "ignore-error": "warn and exit 0 on failure",
    "src": "directory to read",
    "dest": "directory to write",
    "tag": "index.json entry",
    "digest": "manifest digest to read",
    "image-manifest": "image manifest, not index",
    "oci-mediatypes": "false: Docker media types",
}


@dataclass(frozen=True)
class Suggestion:
    """A whole new value for the word being completed."""

    value: str
    help: str | None = None
    # The user goes on typing after it (a key=, a trailing comma, a folder/).
    nospace: bool = False


def suggest(
    incomplete: str,
    *,
    direction: Direction,
    allowed_types: Collection[str],
    environ: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    """Suggestions for a partly typed flag string."""
    fields = split_fields_leniently(incomplete)
    typing = fields[-1]
    if incomplete[typing.start : typing.start + 1] == '"':
        return []

    before = incomplete[: typing.start]
    given = {field.key: field for field in fields[:-1]}
    context = _Context(before, direction, allowed_types, _type_of(given))
    if typing.has_equals:
        environ = os.environ if environ is None else environ
        return context.values(typing, environ)
    return context.keys(typing.content, given)


def _type_of(given: Mapping[str, Field]) -> str | None:
    type_field = given.get("type")
    return type_field.value if type_field is not None else None


@dataclass(frozen=True)
class _Context:
    before: str  # the fields already written, with their comma
    direction: Direction
    allowed_types: Collection[str]
    type_name: str | None

    def keys(self, typed: str, given: Mapping[str, Field]) -> list[Suggestion]:
        prefix = typed.lower()
        types: list[Suggestion] = []
        if self.type_name is None and "type".startswith(prefix):
            types = self._types(f"{self.before}type=")
        if types and not self.before:
            return types  # a flag string starts with its type

        return types + [
            Suggestion(f"{self.before}{key}=", KEY_HELP.get(key), nospace=True)
            for key in self._keys()
            if key.startswith(prefix) and key not in given
        ]

    def values(self, typing: Field, environ: Mapping[str, str]) -> list[Suggestion]:
        key, typed = typing.key, typing.value
        start = f"{self.before}{typing.raw_key}="
        if key == "type":
            return [s for s in self._types(start) if s.value.startswith(start + typed)]
        if key in _DIRECTORY_KEYS:
            return [Suggestion(start + path, nospace=True) for path in folders(typed)]

        return [
            Suggestion(start + value)
            for value in self._values(key, environ)
            if value.startswith(typed) and value != typed
        ]

    def _types(self, start: str) -> list[Suggestion]:
        return [
            Suggestion(f"{start}{name},", KEY_HELP["type"], nospace=True)
            for name in self.allowed_types
        ]

    def _keys(self) -> list[str]:
        types = [self.type_name] if self.type_name else self.allowed_types
        keys: dict[str, None] = {}
        for type_name in types:
            keys.update(dict.fromkeys(readers(type_name, self.direction)))
        return list(keys)

    def _values(self, key: str, environ: Mapping[str, str]) -> tuple[str, ...]:
        if key in CHOICES:
            return CHOICES[key]
        reader = _reader(key, self.type_name, self.direction)
        if reader is boolean:
            return BOOLEANS
        variable = environ.get(_ENVIRONMENT.get(key, ""), "")
        return (variable,) if variable else ()


def readers(type_name: str, direction: Direction) -> Mapping[str, Reader]:
    """The keys a type takes in a direction, less those that mean nothing there."""
    if type_name == "s3":
        table = dict(S3_READERS)
        if direction == "from":
            del table["mode"]  # accepted, but only to warn that it means nothing
        return table
    if type_name == "local":
        table = dict((FROM_TABLE if direction == "from" else TO_TABLE).readers)
        if direction == "from":
            del table["mode"]
        return table
    return {}


def _reader(key: str, type_name: str | None, direction: Direction) -> Reader | None:
    for name in [type_name] if type_name else ["s3", "local"]:
        reader = readers(name, direction).get(key)
        if reader is not None:
            return reader
    return None


def folders(typed: str, *, limit: int = 50) -> list[str]:
    """Directories whose path starts with ``typed``, each with a trailing ``/``."""
    parent, _, stem = typed.rpartition("/")
    base = Path(os.path.expanduser(parent or "."))
    if parent == "" and typed.startswith("/"):
        base = Path("/")
    try:
        entries = sorted(os.scandir(base), key=lambda entry: entry.name)
    except OSError:
        return []

    shown_parent = f"{parent}/" if parent or typed.startswith("/") else ""
    return [
        f"{shown_parent}{entry.name}/"
        for entry in entries
        if entry.name.startswith(stem)
        and (stem.startswith(".") or not entry.name.startswith("."))
        and entry.is_dir()
    ][:limit]
