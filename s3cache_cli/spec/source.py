"""The flag string being read, and the errors that point into it.

Every ``SpecError`` is made here, so every one of them echoes the input with
secret values masked: a fault anywhere in a string that carries a secret key
must not print that key.
"""

from __future__ import annotations

import re
import textwrap

from s3cache_cli.redact import MASK
from s3cache_cli.spec.display import caret_lines, mask_spans, move_span
from s3cache_cli.spec.errors import SpecError
from s3cache_cli.spec.tokens import Span, split_fields_leniently

SECRET_KEYS = ("secret_access_key", "session_token")
# A misspelled secret key still holds a secret.
_SECRET_WORDS = ("secret", "token", "password")
# key=value anywhere in the raw text, for a secret inside a field the
# splitter could not separate (an unclosed quote swallows the rest).
_RAW_SECRET = re.compile(
    r'([^,="]*(?:secret|token|password)[^,="]*)=([^,"]+)', re.IGNORECASE
)
_SHORTEST_MASKED_IN_PROSE = 4
_PROSE_WIDTH = 78


def is_secret_key(key: str) -> bool:
    key = key.strip().lower()
    return key in SECRET_KEYS or any(word in key for word in _SECRET_WORDS)


def _raw_secret_spans(text: str) -> list[Span]:
    return [match.span(2) for match in _RAW_SECRET.finditer(text)]


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """The spans in order, each joined with any that overlaps it."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class Source:
    def __init__(self, text: str) -> None:
        self.text = text
        fields = split_fields_leniently(text)
        secret_fields = [f for f in fields if f.has_equals and is_secret_key(f.key)]
        spans = [f.value_span for f in secret_fields if f.value]
        self.secret_spans = _without_overlaps([*spans, *_raw_secret_spans(text)])
        self.secret_values = [f.value for f in secret_fields if f.value]
        self.secret_values += [text[start:end] for start, end in self.secret_spans]
        self.masked_text, _ = mask_spans(text, self.secret_spans)

    @property
    def end(self) -> Span:
        """Where a missing attribute would go."""
        return (len(self.text), len(self.text))

    def error(
        self,
        summary: str,
        *,
        span: Span,
        attribute: str | None = None,
        accepted: str | None = None,
    ) -> SpecError:
        shown_span = move_span(span, self.secret_spans)
        lines = [self._hide(summary)]
        if self.text:
            echo, carets = caret_lines(self.masked_text, shown_span)
            lines += [f"  {echo}", f"  {carets}"]
        if accepted:
            lines += _wrapped(self._hide(accepted))

        message = "\n".join(lines)
        return SpecError(
            message, attribute=attribute, text=self.masked_text, span=shown_span
        )

    def _hide(self, prose: str) -> str:
        for secret in sorted(self.secret_values, key=len, reverse=True):
            if len(secret) >= _SHORTEST_MASKED_IN_PROSE:
                prose = prose.replace(secret, MASK)
        return prose


def _wrapped(prose: str) -> list[str]:
    # Click prints a usage error as it is; a long list of keys reads better
    # wrapped than cut by the terminal. Flag-string examples stay whole, and
    # so does a command to run instead ("s3cache import").
    prose = _COMMAND.sub(lambda found: found[0].replace(" ", _NO_BREAK), prose)
    lines = textwrap.wrap(
        prose, _PROSE_WIDTH, break_long_words=False, break_on_hyphens=False
    )
    return [line.replace(_NO_BREAK, " ") for line in lines]


_COMMAND = re.compile(r"\bs3cache [a-z]+")
_NO_BREAK = "\N{NO-BREAK SPACE}"
