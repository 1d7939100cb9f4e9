"""The echo and its carets line up on a terminal, whatever the input holds."""

from __future__ import annotations

import pytest

from s3cache_cli.spec import SpecError, parse_cache_spec
from s3cache_cli.spec.display import ECHO_WIDTH, caret_lines, mask_spans, move_span


@pytest.mark.parametrize(
    ("text", "span", "echo", "carets"),
    [
        pytest.param("abc=def", (4, 7), "abc=def", "    ^^^", id="plain"),
        pytest.param("abc=", (4, 4), "abc=", "    ^", id="empty-at-end"),
        pytest.param("a,,b", (2, 2), "a,,b", "  ^", id="empty-between"),
        pytest.param(
            "名前=x,y", (3, 4), "名前=x,y", "     ^", id="wide-characters-count-twice"
        ),
        pytest.param("a\tb=1", (1, 2), "a\\tb=1", " ^^", id="tab-escaped"),
        pytest.param("x=\u200by", (2, 3), "x=\\u200by", "  ^^^^^^", id="invisible"),
        pytest.param("e\u0301=1", (2, 3), "e\u0301=1", " ^", id="combining-mark"),
    ],
)
def test_caret_lines(text: str, span: tuple[int, int], echo: str, carets: str) -> None:
    assert caret_lines(text, span) == (echo, carets)


@pytest.mark.parametrize(
    ("position", "cut_before", "cut_after"),
    [
        pytest.param(0, False, True, id="start"),
        pytest.param(10, False, True, id="early"),
        pytest.param(150, True, True, id="middle"),
        pytest.param(299, True, False, id="end"),
    ],
)
def test_long_text_is_cut_around_the_span(
    position: int, cut_before: bool, cut_after: bool
) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(300))

    echo, carets = caret_lines(text, (position, position + 1))

    assert len(echo) <= ECHO_WIDTH
    assert echo[len(carets) - 1] == text[position]
    assert carets.strip() == "^"
    assert (echo.startswith("..."), echo.endswith("...")) == (cut_before, cut_after)


def test_long_span_is_cut_at_the_window() -> None:
    text = "k=" + "v" * 200

    echo, carets = caret_lines(text, (2, 202))

    assert len(carets) <= len(echo)
    assert set(carets.strip()) == {"^"}


def test_mask_spans_and_move_span() -> None:
    text = "a=1,secret=abcdef,b=2"
    secrets = [(11, 17)]

    masked, where = mask_spans(text, secrets)

    assert masked == "a=1,secret=***,b=2"
    assert where == [(11, 14)]
    assert move_span((18, 21), secrets) == (15, 18)
    assert move_span((0, 1), secrets) == (0, 1)
    assert move_span((12, 13), secrets) == (11, 14)  # inside: the whole mask
    assert move_span((4, 17), secrets) == (4, 14)


def test_message_of_a_long_string_fits_a_terminal() -> None:
    text = "type=s3,bucket=b,region=r," + ",".join(f"name=n{i}" for i in range(30))
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(text + ",touch_refresh=1d", direction="to", environ={})

    lines = caught.value.message.splitlines()

    assert all(len(line) <= 80 for line in lines)
    assert lines[1][len(lines[2]) - 2 :].startswith("1d")
