"""Go durations (``90m``, ``1h30m``, ``1.5h``), read as Go's ParseDuration does.

BuildKit reads ``touch_refresh`` with ``time.ParseDuration``, so s3cache
accepts exactly the strings Go accepts: an optional sign, then one or more
decimal numbers each followed by a unit; a bare ``0`` is the one value that
needs no unit. Go counts in whole nanoseconds up to 2**63 - 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

NANOSECONDS_PER_UNIT = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # MICRO SIGN
    "\u03bcs": 1_000,  # GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_LARGEST = 2**63 - 1
_LIMIT = 2**63  # reachable only by a negative duration
_DIGITS = "0123456789"


class DurationTooLong(ValueError):
    """A duration beyond Go's range, about 292 years either way."""

    def __init__(self, text: str) -> None:
        super().__init__(f"duration {text!r} is too long")


def parse_go_duration(text: str) -> timedelta:
    """The duration ``text`` stands for; ``ValueError`` where Go would refuse it."""
    nanoseconds = parse_go_nanoseconds(text)
    microseconds = abs(nanoseconds) // 1000
    return timedelta(microseconds=-microseconds if nanoseconds < 0 else microseconds)


def parse_go_nanoseconds(text: str) -> int:
    """Like ``parse_go_duration``, in whole nanoseconds as Go keeps them."""
    negative, body = _split_sign(text)
    if body == "0":
        return 0
    if not body:
        raise ValueError(f"invalid duration {text!r}")

    total = 0
    while body:
        amount, body = _leading_amount(body, text)
        unit, body = _leading_unit(body, text)
        total += _scaled(amount, unit, text)
        if total > _LIMIT:
            raise DurationTooLong(text)

    if not negative and total == _LIMIT:
        raise DurationTooLong(text)
    return -total if negative else total


def format_go_duration(delta: timedelta) -> str:
    """The shortest Go duration for ``delta``: ``24h``, ``1h30m``, ``1.5s``."""
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000
    microseconds += delta.microseconds
    if microseconds == 0:
        return "0s"

    sign = "-" if microseconds < 0 else ""
    hours, rest = divmod(abs(microseconds), 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(_format_seconds(rest) if rest else "")
    return sign + "".join(parts)


def _format_seconds(microseconds: int) -> str:
    seconds, fraction = divmod(microseconds, 1_000_000)
    if not fraction:
        return f"{seconds}s"
    if seconds:
        return f"{seconds}.{fraction:06d}".rstrip("0") + "s"
    if fraction % 1000 == 0:
        return f"{fraction // 1000}ms"
    return f"{fraction}us"


def _split_sign(text: str) -> tuple[bool, str]:
    if text[:1] in ("-", "+"):
        return text[0] == "-", text[1:]
    return False, text


@dataclass(frozen=True)
class _Amount:
    whole: int
    fraction: int  # the digits after the point, as far as they fit in int64
    scale: float  # 10 to the number of those digits


def _leading_amount(body: str, text: str) -> tuple[_Amount, str]:
    whole_digits, body = _leading_digits(body)
    fraction_digits = ""
    if body.startswith("."):
        fraction_digits, body = _leading_digits(body[1:])
    if not whole_digits and not fraction_digits:
        raise ValueError(f"invalid duration {text!r}")

    whole = 0
    for digit in whole_digits:
        whole = whole * 10 + int(digit)
        if whole > _LIMIT:
            raise DurationTooLong(text)
    return _Amount(whole, *_fraction(fraction_digits)), body


def _fraction(digits: str) -> tuple[int, float]:
    # Go keeps the digits that fit in an int64 and ignores the rest.
    value, scale = 0, 1.0
    for digit in digits:
        if value > _LARGEST // 10 or value * 10 + int(digit) > _LIMIT:
            break
        value, scale = value * 10 + int(digit), scale * 10
    return value, scale


def _leading_digits(body: str) -> tuple[str, str]:
    end = 0
    while end < len(body) and body[end] in _DIGITS:
        end += 1
    return body[:end], body[end:]


def _leading_unit(body: str, text: str) -> tuple[int, str]:
    end = 0
    while end < len(body) and body[end] not in _DIGITS + ".":
        end += 1
    if end == 0:
        raise ValueError(f"missing unit in duration {text!r}")

    unit = body[:end]
    if unit not in NANOSECONDS_PER_UNIT:
        raise ValueError(f"unknown unit {unit!r} in duration {text!r}")
    return NANOSECONDS_PER_UNIT[unit], body[end:]


def _scaled(amount: _Amount, unit: int, text: str) -> int:
    if amount.whole > _LIMIT // unit:
        raise DurationTooLong(text)

    nanoseconds = amount.whole * unit
    if amount.fraction:
        # Go scales the fraction in float64; doing the same keeps every
        # result equal to Go's, rounding included.
        nanoseconds += int(float(amount.fraction) * (float(unit) / amount.scale))
    if nanoseconds > _LIMIT:
        raise DurationTooLong(text)
    return nanoseconds
