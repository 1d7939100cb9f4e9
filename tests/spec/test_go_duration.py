"""Go durations: the same strings Go's time.ParseDuration takes, the same values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3cache_cli.spec.duration import (
    format_go_duration,
    parse_go_duration,
    parse_go_nanoseconds,
)

SECOND = 10**9
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

GO_VALID = [
    ("0", 0),
    ("5s", 5 * SECOND),
    ("30s", 30 * SECOND),
    ("1478s", 1478 * SECOND),
    ("-5s", -5 * SECOND),
    ("+5s", 5 * SECOND),
    ("-0", 0),
    ("+0", 0),
    ("5.0s", 5 * SECOND),
    ("5.6s", 5 * SECOND + 600_000_000),
    ("5.s", 5 * SECOND),
    (".5s", 500_000_000),
    ("1.004s", SECOND + 4_000_000),
    ("100.00100s", 100 * SECOND + 1_000_000),
    ("10ns", 10),
    ("11us", 11_000),
    ("12\u00b5s", 12_000),
    ("12\u03bcs", 12_000),
    ("13ms", 13_000_000),
    ("15m", 15 * MINUTE),
    ("16h", 16 * HOUR),
    ("3h30m", 3 * HOUR + 30 * MINUTE),
    ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500_000_000),
    ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400_000_000)),
    ("1h2m3s4ms5us6ns", HOUR + 2 * MINUTE + 3 * SECOND + 4_005_006),
    ("39h9m14.425s", 39 * HOUR + 9 * MINUTE + 14 * SECOND + 425_000_000),
    ("52763797000ns", 52_763_797_000),
    ("0.3333333333333333333h", 20 * MINUTE),
    ("9007199254740993ns", 2**53 + 1),
    ("9223372036854775807ns", 2**63 - 1),
    ("9223372036854775.807us", 2**63 - 1),
    ("9223372036s854ms775us807ns", 2**63 - 1),
    ("-9223372036854775808ns", -(2**63)),
    ("-9223372036854775.808us", -(2**63)),
    ("0.100000000000000000000h", 6 * MINUTE),
    ("0.830103483285477580700h", 49 * MINUTE + 48 * SECOND + 372_539_827),
]

GO_INVALID = [
    "",
    "3",
    "-",
    "s",
    ".",
    "-.",
    ".s",
    "+.s",
    "1d",
    "1w",
    "1.5.5s",
    "1 s",
    " 1s",
    "1s ",
    "1e3s",
    "１s",  # a full-width digit
    "9223372036854775808ns",
    "9223372036854775.808us",
    "9223372036854ms775us808ns",
    "-9223372036854775809ns",
    "3000000h",
]


@pytest.mark.parametrize(
    ("text", "nanoseconds"), [pytest.param(t, n, id=t) for t, n in GO_VALID]
)
def test_go_accepts(text: str, nanoseconds: int) -> None:
    assert parse_go_nanoseconds(text) == nanoseconds


@pytest.mark.parametrize("text", [pytest.param(t, id=repr(t)) for t in GO_INVALID])
def test_go_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("90m", timedelta(minutes=90), id="90m"),
        pytest.param("1h30m", timedelta(minutes=90), id="1h30m"),
        pytest.param("1.5h", timedelta(minutes=90), id="1.5h"),
        pytest.param("300ms", timedelta(milliseconds=300), id="300ms"),
        pytest.param(
            "2h45m30.5s", timedelta(hours=2, minutes=45, seconds=30.5), id="mixed"
        ),
        pytest.param("1500ns", timedelta(microseconds=1), id="nanoseconds-truncated"),
        pytest.param("-1500ns", timedelta(microseconds=-1), id="negative-truncated"),
    ],
)
def test_timedelta_values(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        pytest.param(timedelta(0), "0s", id="zero"),
        pytest.param(timedelta(hours=24), "24h", id="day"),
        pytest.param(timedelta(minutes=90), "1h30m", id="hour-and-a-half"),
        pytest.param(timedelta(seconds=1.5), "1.5s", id="fraction"),
        pytest.param(timedelta(milliseconds=300), "300ms", id="milliseconds"),
        pytest.param(timedelta(microseconds=7), "7us", id="microseconds"),
        pytest.param(timedelta(minutes=-2), "-2m", id="negative"),
        pytest.param(timedelta(hours=1, seconds=1), "1h1s", id="skips-zero-minutes"),
    ],
)
def test_format(delta: timedelta, expected: str) -> None:
    assert format_go_duration(delta) == expected


@given(
    st.timedeltas(min_value=timedelta(days=-100_000), max_value=timedelta(days=100_000))
)
def test_format_reads_back(delta: timedelta) -> None:
    assert parse_go_duration(format_go_duration(delta)) == delta
