"""Storage sizes as people write them: ``10GB``, ``512MiB``, ``1.5TB``, ``800``.

Decimal units (kB, MB, GB, TB, PB) count in powers of 1000 and binary units
(KiB, MiB, GiB, TiB, PiB) in powers of 1024. A bare ``G`` or ``M`` is
refused: half the tools out there read it as 10^9 and the other half as 2^30,
and a prune limit is no place to guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

BYTES_PER_UNIT = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "pb": 1000**5,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "pib": 1024**5,
}
_SIZE = re.compile(r"(?P<amount>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-zA-Z]*)")
_AMBIGUOUS = frozenset({"k", "m", "g", "t", "p"})


def parse_size(text: str) -> int:
    """The number of bytes ``text`` stands for; ``ValueError`` says what is wrong."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a size; write it as 10GB, 512MiB or 800")

    unit = match["unit"].lower() or "b"
    if unit in _AMBIGUOUS:
        raise ValueError(
            f"{text!r} is ambiguous; write {match['amount']}{unit.upper()}B "
            f"(powers of 1000) or {match['amount']}{unit.upper()}iB (powers of 1024)"
        )
    if unit not in BYTES_PER_UNIT:
        raise ValueError(f"unknown unit {match['unit']!r} in {text!r}; {_KNOWN}")

    return _whole_bytes(match["amount"], BYTES_PER_UNIT[unit], text)


def _whole_bytes(amount: str, unit: int, text: str) -> int:
    try:
        value = Decimal(amount) * unit
    except InvalidOperation as error:
        raise ValueError(f"{text!r} is not a size") from error

    # A fraction of a byte cannot be stored; round down so the limit holds.
    return int(value)


_KNOWN = "use B, kB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB"
