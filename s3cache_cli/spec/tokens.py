"""Split a flag string into fields, as buildx does with Go's CSV reader.

A flag string is one CSV record. Fields are separated by ``,``. A field that
starts with ``"`` is quoted: it runs to the next lone ``"``, may hold ``,``
and ``;``, and writes a quote as ``""``. A quote anywhere else is an error,
as it is for Go's reader. Every field remembers where each of its characters
came from, so an error can point into the original text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

Span = tuple[int, int]


class TokenError(ValueError):
    """Text that is not one CSV record; ``span`` is where it goes wrong."""

    def __init__(self, reason: str, span: Span, accepted: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span
        self.accepted = accepted


@dataclass(frozen=True)
class Field:
    content: str  # the field without its quotes, ``""`` read as ``"``
    offsets: tuple[int, ...]  # input index of each content character, then its end
    start: int  # input index of the field's first character (its quote if quoted)
    end: int  # input index just past the field (past its closing quote)

    @property
    def has_equals(self) -> bool:
        return "=" in self.content

    @property
    def raw_key(self) -> str:
        return self.content.partition("=")[0]

    @property
    def key(self) -> str:
        return self.raw_key.lower()

    @property
    def value(self) -> str:
        return self.content.partition("=")[2]

    @property
    def span(self) -> Span:
        return (self.start, self.end)

    @property
    def key_span(self) -> Span:
        return self.content_span(0, len(self.raw_key))

    @property
    def value_span(self) -> Span:
        return self.value_part_span(0, len(self.value))

    def value_part_span(self, start: int, end: int) -> Span:
        """The input span of ``value[start:end]``."""
        offset = len(self.raw_key) + 1
        return self.content_span(offset + start, offset + end)

    def content_span(self, start: int, end: int) -> Span:
        # A character ends where the next begins: an escaped quote spans two.
        return (self.offsets[start], self.offsets[max(start, end)])


def split_fields(text: str) -> tuple[Field, ...]:
    """The fields of ``text``; ``TokenError`` where Go's CSV reader would refuse."""
    _reject_control_characters(text)
    return _Scanner(text, strict=True).fields()


def split_fields_leniently(text: str) -> tuple[Field, ...]:
    """Best-effort fields of any text, to find secrets to mask in an error."""
    return _Scanner(text, strict=False).fields()


def _reject_control_characters(text: str) -> None:
    for index, character in enumerate(text):
        if unicodedata.category(character) == "Cc":
            raise TokenError(
                f"control character U+{ord(character):04X} in the flag string",
                (index, index + 1),
                "a flag string is one line of printable text",
            )


class _Scanner:
    def __init__(self, text: str, *, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.position = 0

    def fields(self) -> tuple[Field, ...]:
        fields = [self._field()]
        while self.position < len(self.text):
            self.position += 1  # the comma after the previous field
            fields.append(self._field())
        return tuple(fields)

    def _field(self) -> Field:
        if self.text.startswith('"', self.position):
            return self._quoted_field()
        return self._plain_field()

    def _plain_field(self) -> Field:
        start = self.position
        end = self.text.find(",", start)
        end = len(self.text) if end < 0 else end
        quote = self.text.find('"', start, end)
        if quote >= 0 and self.strict:
            raise TokenError(
                "a quote inside a field that does not start with one",
                (quote, quote + 1),
                'quote the whole field, as in "name=a,b"; write a quote inside '
                'it as ""',
            )

        self.position = end
        offsets = (*range(start, end), end)
        return Field(self.text[start:end], offsets, start, end)

    def _quoted_field(self) -> Field:
        start = self.position
        characters: list[str] = []
        offsets: list[int] = []
        index = start + 1
        while True:
            if index >= len(self.text):
                return self._unterminated(start, characters, offsets)
            if self.text.startswith('""', index):
                characters.append('"')
                offsets.append(index)
                index += 2
            elif self.text[index] == '"':
                break
            else:
                characters.append(self.text[index])
                offsets.append(index)
                index += 1

        closing = index
        self.position = closing + 1
        offsets.append(self._expect_field_end(characters, offsets, closing))
        return Field("".join(characters), tuple(offsets), start, self.position)

    def _unterminated(
        self, start: int, characters: list[str], offsets: list[int]
    ) -> Field:
        if self.strict:
            raise TokenError(
                "this quote is never closed",
                (start, start + 1),
                'close the field with a quote: "name=a,b"',
            )
        self.position = len(self.text)
        offsets.append(len(self.text))
        return Field("".join(characters), tuple(offsets), start, len(self.text))

    def _expect_field_end(
        self, characters: list[str], offsets: list[int], closing: int
    ) -> int:
        """Check what follows a closing quote; returns where the content ends."""
        after = self.position
        if after >= len(self.text) or self.text[after] == ",":
            return closing
        if self.strict:
            raise TokenError(
                "text after the closing quote of a field",
                (after, after + 1),
                'a closing quote ends the field: "name=a,b",next=field; '
                'write a quote inside it as ""',
            )
        # Leniently, the rest up to the next comma belongs to the same field.
        end = self.text.find(",", after)
        end = len(self.text) if end < 0 else end
        characters.extend(self.text[after:end])
        offsets.extend(range(after, end))
        self.position = end
        return end
