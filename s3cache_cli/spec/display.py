"""Echo a flag string with carets under a span, secrets masked, on one line.

The echo must line up with its carets on a terminal: characters that do not
print are shown escaped, wide characters take two columns, and a long string
is cut to a window around the span.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from itertools import accumulate

from s3cache_cli.redact import MASK

Span = tuple[int, int]
ECHO_WIDTH = 76  # two spaces of indent more fit an 80-column terminal
_ELLIPSIS = "..."


def mask_spans(text: str, secrets: Iterable[Span]) -> tuple[str, list[Span]]:
    """``text`` with each secret span replaced by ``***``, and where each went."""
    pieces: list[str] = []
    masked: list[Span] = []
    position = 0
    for start, end in sorted(secrets):
        if start >= end or start < position:
            continue
        pieces.append(text[position:start])
        shown_start = sum(map(len, pieces))
        masked.append((shown_start, shown_start + len(MASK)))
        pieces.append(MASK)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), masked


def move_span(span: Span, secrets: Iterable[Span]) -> Span:
    """Where ``span`` of the original text lands once ``secrets`` are masked."""
    spans = sorted(s for s in secrets if s[0] < s[1])
    return (_moved(span[0], spans, inside_to_end=False), _moved(span[1], spans, True))


def _moved(position: int, secrets: list[Span], inside_to_end: bool) -> int:
    shift = 0
    for start, end in secrets:
        if position <= start:
            break
        if position < end:
            return start + shift + (len(MASK) if inside_to_end else 0)
        shift += len(MASK) - (end - start)
    return position + shift


def caret_lines(text: str, span: Span) -> tuple[str, str]:
    """The echo of ``text`` and a line of carets under ``span``."""
    cells = [_shown(character) for character in text]
    columns = list(accumulate((width for _, width in cells), initial=0))
    first, last = columns[span[0]], columns[span[1]]
    left, right = _window(columns[-1], first, max(last, first + 1))

    shown_from = next(i for i, column in enumerate(columns) if column >= left)
    shown_to = max(i for i, column in enumerate(columns) if column <= right)
    prefix = _ELLIPSIS if shown_from > 0 else ""
    suffix = _ELLIPSIS if shown_to < len(text) else ""
    echo = prefix + "".join(shown for shown, _ in cells[shown_from:shown_to]) + suffix

    indent = len(prefix) + first - columns[shown_from]
    width = max(1, min(last, columns[shown_to]) - first)
    return echo, " " * indent + "^" * width


def _window(total: int, first: int, last: int) -> tuple[int, int]:
    if total <= ECHO_WIDTH:
        return 0, total
    room = ECHO_WIDTH - 2 * len(_ELLIPSIS)
    left = max(0, min(first - room // 4, total - room))
    return left, left + room


def _shown(character: str) -> tuple[str, int]:
    """How a character is echoed, and how many columns that takes."""
    if not character.isprintable():
        escaped = character.encode("unicode_escape").decode("ascii")
        return escaped, len(escaped)
    if unicodedata.combining(character):
        return character, 0
    if unicodedata.east_asian_width(character) in ("W", "F"):
        return character, 2
    return character, 1
