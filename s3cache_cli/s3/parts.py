"""How a blob is cut into parts for a multipart upload or a ranged download."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB

# BuildKit's uploader sends 8 MiB parts; S3 takes at most 10,000 of up to 5 GiB.
MIN_PART_SIZE = 8 * MiB
MAX_PARTS = 10_000
MAX_PART_SIZE = 5 * GiB


@dataclass(frozen=True)
class Part:
    number: int  # 1-based, as S3 counts
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


def part_size_for(size: int, *, minimum: int = MIN_PART_SIZE) -> int:
    """The smallest whole-MiB part size, at least ``minimum``, that fits
    ``size`` bytes into MAX_PARTS parts (8 MiB up to 78 GiB, 525 MiB at 5 TiB)."""
    needed = -(-size // MAX_PARTS)
    whole_mib = -(-needed // MiB) * MiB
    return max(minimum, whole_mib)


def split_parts(size: int, part_size: int) -> list[Part]:
    offsets = range(0, size, part_size)
    return [
        Part(number, offset, min(part_size, size - offset))
        for number, offset in enumerate(offsets, start=1)
    ]
