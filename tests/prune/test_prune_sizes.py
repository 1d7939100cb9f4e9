from __future__ import annotations

import pytest

from s3cache_cli.prune.sizes import parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        pytest.param("800", 800, id="bare-bytes"),
        pytest.param("0", 0, id="zero"),
        pytest.param("12B", 12, id="bytes-unit"),
        pytest.param("10GB", 10 * 1000**3, id="decimal-gigabytes"),
        pytest.param("10gb", 10 * 1000**3, id="lower-case"),
        pytest.param("2kB", 2000, id="decimal-kilobytes"),
        pytest.param("3TB", 3 * 1000**4, id="decimal-terabytes"),
        pytest.param("512MiB", 512 * 1024**2, id="binary-mebibytes"),
        pytest.param("1GiB", 1024**3, id="binary-gibibytes"),
        pytest.param("1.5GB", 1_500_000_000, id="fraction"),
        pytest.param("0.5KiB", 512, id="binary-fraction"),
        pytest.param(".5MB", 500_000, id="leading-point"),
        pytest.param("10 GB", 10 * 1000**3, id="space-before-unit"),
        pytest.param("1.0000001B", 1, id="fraction-of-a-byte-rounds-down"),
    ],
)
def test_sizes_in_decimal_and_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("10G", "'10G' is ambiguous; write 10GB", id="bare-g"),
        pytest.param("5m", "or 5MiB (powers of 1024)", id="bare-m"),
        pytest.param("10XB", "unknown unit 'XB' in '10XB'", id="unknown-unit"),
        pytest.param("", "is not a size", id="empty"),
        pytest.param("-1GB", "is not a size", id="negative"),
        pytest.param("GB", "is not a size", id="no-number"),
        pytest.param("1,5GB", "is not a size", id="comma"),
        pytest.param("1e9", "is not a size", id="exponent"),
    ],
)
def test_sizes_that_are_refused_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_size(text)

    assert message in str(caught.value)
