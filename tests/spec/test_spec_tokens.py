"""CSV splitting as Go's reader does it, with every character's origin kept."""

from __future__ import annotations

import pytest

from s3cache_cli.spec.tokens import TokenError, split_fields, split_fields_leniently


@pytest.mark.parametrize(
    ("text", "contents"),
    [
        pytest.param("a=1", ["a=1"], id="one-field"),
        pytest.param("a=1,b=2", ["a=1", "b=2"], id="two-fields"),
        pytest.param('"a=1,2",b=3', ["a=1,2", "b=3"], id="quoted-comma"),
        pytest.param('"a=x""y"', ['a=x"y'], id="escaped-quote"),
        pytest.param('""', [""], id="empty-quoted"),
        pytest.param('"a=1;2"', ["a=1;2"], id="quoted-semicolon"),
        pytest.param("a=1,", ["a=1", ""], id="trailing-comma"),
        pytest.param(",", ["", ""], id="only-a-comma"),
        pytest.param("a= 1 ", ["a= 1 "], id="spaces-kept"),
        pytest.param("a=b=c", ["a=b=c"], id="equals-in-value"),
        pytest.param('"a=1",""', ["a=1", ""], id="quoted-then-empty-quoted"),
    ],
)
def test_split(text: str, contents: list[str]) -> None:
    assert [field.content for field in split_fields(text)] == contents


@pytest.mark.parametrize(
    ("text", "span", "reason"),
    [
        pytest.param('"a=1', (0, 1), "this quote is never closed", id="unterminated"),
        pytest.param(
            'a=1,"b=2,c=3',
            (4, 5),
            "this quote is never closed",
            id="unterminated-later",
        ),
        pytest.param(
            'a="1"',
            (2, 3),
            "a quote inside a field that does not start with one",
            id="bare-quote",
        ),
        pytest.param(
            ' "a=1"',
            (1, 2),
            "a quote inside a field that does not start with one",
            id="space-before-quote",
        ),
        pytest.param(
            '"a=1" ,b=2',
            (5, 6),
            "text after the closing quote of a field",
            id="space-after-quote",
        ),
        pytest.param(
            "a=1\r\nb=2",
            (3, 4),
            "control character U+000D in the flag string",
            id="line-break",
        ),
        pytest.param(
            '"a=\x00"',
            (3, 4),
            "control character U+0000 in the flag string",
            id="nul-in-quotes",
        ),
    ],
)
def test_refused(text: str, span: tuple[int, int], reason: str) -> None:
    with pytest.raises(TokenError) as caught:
        split_fields(text)

    assert (caught.value.span, caught.value.reason) == (span, reason)


def test_key_and_value_spans_in_a_plain_field() -> None:
    field = split_fields("type=s3,Bucket=b-1")[1]

    assert (field.raw_key, field.key, field.value) == ("Bucket", "bucket", "b-1")
    assert field.key_span == (8, 14)
    assert field.value_span == (15, 18)
    assert field.span == (8, 18)


def test_spans_inside_quotes_skip_the_quote_and_cover_escapes() -> None:
    text = '"name=a""b;c"'
    field = split_fields(text)[0]

    assert field.value == 'a"b;c'
    assert text[slice(*field.value_span)] == 'a""b;c'
    assert text[slice(*field.value_part_span(0, 3))] == 'a""b'
    assert field.value_part_span(5, 5) == (12, 12)  # before the closing quote


def test_lenient_split_reads_anything() -> None:
    fields = split_fields_leniently('a="x,"b=1"c,"d=2')

    assert [field.content for field in fields] == ['a="x', "b=1c", "d=2"]
