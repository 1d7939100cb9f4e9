"""Strings are written as Go's json.Marshal writes them; bytes are read as Go reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3cache_cli.cacheconfig import CacheConfig
from s3cache_cli.cacheconfig.gojson import JsonError, decode, go_string


@pytest.mark.parametrize(
    ("text", "written"),
    [
        pytest.param("plain", '"plain"', id="ascii"),
        pytest.param("<>&", '"\\u003c\\u003e\\u0026"', id="html-safe"),
        pytest.param('"\\', '"\\"\\\\"', id="quote-backslash"),
        pytest.param("\n\r\t", '"\\n\\r\\t"', id="common-controls"),
        pytest.param("\b\f", '"\\b\\f"', id="backspace-formfeed"),
        pytest.param("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"', id="other-controls"),
        pytest.param("\x1b", '"\\u001b"', id="escape-lower-hex"),
        pytest.param("\x7f", '"\x7f"', id="delete-raw"),
        pytest.param("é☃😀", '"é☃😀"', id="non-ascii-raw"),
        pytest.param("\u2028\u2029", '"\\u2028\\u2029"', id="line-separators"),
        pytest.param("a\ud800b", '"a\ufffdb"', id="lone-surrogate"),
        pytest.param("/", '"/"', id="slash-raw"),
        pytest.param("", '""', id="empty"),
    ],
)
def test_go_string(text, written):
    assert go_string(text) == written


@given(st.text())
def test_go_string_reads_back_as_the_same_text(text):
    assert json.loads(go_string(text)) == text


def test_go_escapes_survive_a_config_round_trip():
    blob = "sha256:" + "a" * 64
    data = (
        '{"records":[{"digest":"' + blob + '","inputs":[[{"selector":'
        '"\\u003cé\\u0026\\u2028\\n","link":1}]]},{"digest":"' + blob + '"}]}'
    ).encode()

    config = CacheConfig.parse(data, source="x")

    assert config.records[0].inputs[0][0].selector == "<é&\u2028\n"
    assert config.to_local_bytes() == data


def test_selector_escaped_differently_is_written_the_go_way():
    blob = "sha256:" + "a" * 64
    data = (
        '{"records":[{"digest":"' + blob + '","inputs":[[{"selector":'
        '"<\\u00e9\\/","link":1}]]},{"digest":"' + blob + '"}]}'
    ).encode()

    written = CacheConfig.parse(data, source="x").to_local_bytes()

    assert b'"selector":"\\u003c\xc3\xa9/"' in written


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "Expecting value", id="empty"),
        pytest.param(b"{} x", "unexpected data after the JSON value", id="garbage"),
        pytest.param(b"{}{}", "unexpected data after the JSON value", id="two-values"),
        pytest.param(b"{}\n\x00", "unexpected data", id="nul-after"),
        pytest.param(b"NaN", "NaN is not a JSON value", id="nan"),
        pytest.param(b"[-Infinity]", "-Infinity is not", id="infinity"),
        pytest.param(
            b'{"a":"\xff"}', "not UTF-8 text (bad byte at offset 6)", id="utf8"
        ),
        pytest.param('{"a":1}'.encode("utf-16"), "not UTF-8", id="utf16"),
        pytest.param(b"\xef\xbb\xbf{}", "BOM", id="byte-order-mark"),
        pytest.param(b'{"a":"\x01"}', "Invalid control character", id="raw-control"),
        pytest.param(b"[" * 100_000, "nested too deeply", id="deep-arrays"),
        pytest.param(b'{"a":' * 100_000, "nested too deeply", id="deep-objects"),
        pytest.param(b"1" * 5000, "not valid JSON", id="huge-integer"),
    ],
)
def test_decode_refuses_what_buildkit_refuses(data, reason):
    with pytest.raises(JsonError) as caught:
        decode(data)

    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"a":1}\n', id="trailing-newline"),
        pytest.param(b' \t\r\n{"a":1} \t\r\n', id="white-space-around"),
    ],
)
def test_decode_allows_white_space_around_the_value(data):
    assert decode(data) == {"a": 1}


def test_decode_remembers_keys_given_twice():
    value = decode(b'{"a":1,"b":2,"a":3}')

    assert value.duplicates == {"a"}


def test_trailing_data_is_reported_with_its_place():
    with pytest.raises(JsonError) as caught:
        decode(b'{"layers":[]}\n]')

    assert (
        str(caught.value) == "unexpected data after the JSON value, at line 2 column 1"
    )
