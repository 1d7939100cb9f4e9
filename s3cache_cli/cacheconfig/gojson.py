"""JSON read and written the way Go's encoding/json does it, byte for byte.

BuildKit writes manifests with ``json.Marshal``: compact, HTML-safe string
escapes, raw UTF-8 for other non-ASCII text. It reads them with a decoder that
refuses anything after the JSON value except white space. Python's ``json``
differs in small ways (it reads NaN, guesses UTF-16 from bytes, escapes all
non-ASCII), so both directions are pinned down here.
"""

from __future__ import annotations

import json
import re
from collections import Counter

# Go writes these as two-character escapes (\b and \f since Go 1.22; older
# BuildKit wrote \u0008 and \u000c, which read the same), every other
# control character as \u00XX with lower-case hex.
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE = re.compile('[\\x00-\\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_REPLACEMENT_CHARACTER = "\ufffd"


class JsonError(ValueError):
    """Bytes that are not exactly one JSON value; the message says why."""


class JsonObject(dict):
    """A decoded JSON object that remembers which keys it saw more than once."""

    duplicates: frozenset[str] = frozenset()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, object]]) -> JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            counts = Counter(key for key, _ in pairs)
            obj.duplicates = frozenset(key for key, n in counts.items() if n > 1)

        return obj


def go_string(text: str) -> str:
    """``text`` as a JSON string literal, exactly as Go's json.Marshal writes it."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]

    # A lone surrogate can only come from a "\udXXX" escape that Go would
    # have read as U+FFFD, which it then writes as plain UTF-8.
    if "\ud800" <= char <= "\udfff":
        return _REPLACEMENT_CHARACTER

    return f"\\u{ord(char):04x}"


def decode(data: bytes) -> object:
    """Read exactly one JSON value from UTF-8 bytes, as BuildKit's reader would.

    White space around the value is fine; anything else after it, NaN or
    Infinity, invalid UTF-8 and nesting too deep to read raise JsonError.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonError(f"not UTF-8 text (bad byte at offset {error.start})") from None

    try:
        return json.loads(
            text,
            object_pairs_hook=JsonObject.from_pairs,
            parse_constant=_refuse_constant,
        )
    except JsonError:
        raise
    except json.JSONDecodeError as error:
        raise JsonError(_describe(error)) from None
    except RecursionError:
        raise JsonError("JSON nested too deeply to read") from None
    except ValueError as error:
        # Python refuses integers of more than 4300 digits with a plain
        # ValueError; Go would refuse them too, as out of range.
        raise JsonError(f"not valid JSON: {error}") from None


def _refuse_constant(name: str) -> object:
    raise JsonError(f"not valid JSON: {name} is not a JSON value")


def _describe(error: json.JSONDecodeError) -> str:
    where = f"line {error.lineno} column {error.colno}"
    if error.msg == "Extra data":
        return f"unexpected data after the JSON value, at {where}"

    return f"not valid JSON: {error.msg} at {where}"
