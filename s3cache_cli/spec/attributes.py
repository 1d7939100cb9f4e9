"""Check the keys of a flag string and read each value through a table of readers.

Keys are checked before any value, so a misspelled key is reported even when
another value is also wrong; values are then read in the order they were
written (a repeated key at its first place), and the first bad one is reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from s3cache_cli.spec.errors import SpecError
from s3cache_cli.spec.source import Source
from s3cache_cli.spec.tokens import Field
from s3cache_cli.spec.values import Invalid, Reader, quoted


@dataclass(frozen=True)
class Table:
    """The keys one type takes in one direction, and how to read each value."""

    label: str  # as the user would name it: "type=local on --cache-from"
    readers: Mapping[str, Reader]
    ignored: tuple[str, ...] = ()  # taken by buildx, meaningless here
    misplaced: Mapping[str, str] = field(default_factory=dict)  # key -> why not


@dataclass(frozen=True)
class Values:
    read: dict[str, object]
    ignored: tuple[str, ...]


class Attributes:
    """The fields after ``type``, in the order their keys first appear.

    A repeated key keeps its first place and its last value, as in buildx.
    """

    def __init__(self, source: Source, fields: Mapping[str, Field]) -> None:
        self.source = source
        self.fields = dict(fields)

    def read(self, table: Table) -> Values:
        for key, field_ in self.fields.items():
            self._check_key(key, field_, table)

        ignored = tuple(key for key in self.fields if key in table.ignored)
        read = {
            key: self._read_value(key, field_, table.readers[key])
            for key, field_ in self.fields.items()
            if key in table.readers
        }
        return Values(read, ignored)

    def fail_at_key(self, key: str, summary: str, accepted: str) -> SpecError:
        span = self.fields[key].key_span
        return self.source.error(summary, span=span, attribute=key, accepted=accepted)

    def fail_at_value(self, key: str, summary: str, accepted: str) -> SpecError:
        span = self.fields[key].value_span
        return self.source.error(summary, span=span, attribute=key, accepted=accepted)

    def _check_key(self, key: str, field_: Field, table: Table) -> None:
        if key in table.readers or key in table.ignored:
            return
        if key in table.misplaced:
            summary = f"{key} does not apply to {table.label}"
            raise self.fail_at_key(key, summary, table.misplaced[key])

        summary = f"unknown key {quoted(field_.raw_key)} for {table.label}"
        if not key:
            summary = f"a field with no key before '=' in {table.label}"
        raise self.fail_at_key(key, summary, _known_keys(key, table))

    def _read_value(self, key: str, field_: Field, reader: Reader) -> object:
        try:
            return reader(field_.value)
        except Invalid as problem:
            span = field_.value_span
            if problem.part is not None:
                span = field_.value_part_span(*problem.part)
            raise self.source.error(
                f"{key}: {problem.reason}",
                span=span,
                attribute=key,
                accepted=f"{key} takes {problem.accepted}",
            ) from None


def _known_keys(key: str, table: Table) -> str:
    keys = list(table.readers)
    listing = f"{table.label} takes {', '.join(keys)}"
    stripped = key.strip()
    if stripped != key and stripped in table.readers:
        return f"did you mean {stripped!r}? (no space around a key) {listing}"

    close = difflib.get_close_matches(stripped, keys, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}? {listing}"
    return listing
