"""``--filter`` values: ``until=DURATION`` and ``name=GLOB``, as buildx writes them.

``until`` is a Go duration (``24h``, ``90m``, ``1h30m``; Go has no day unit,
so a week is ``168h``). ``name`` is a shell-style pattern (``pr-*``,
``release-1.?``) matched against the whole cache name; several name filters
match a cache when any of them does.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

KNOWN_KEYS = ("until", "name")


@dataclass(frozen=True)
class Filters:
    until: timedelta | None = None
    name_globs: tuple[str, ...] = ()

    def matches_name(self, name: str) -> bool:
        """True when no name filter is given or any of them matches ``name``."""
        if not self.name_globs:
            return True

        return any(fnmatch.fnmatchcase(name, glob) for glob in self.name_globs)


def parse_filters(values: Iterable[str]) -> Filters:
    """The filters given as ``key=value`` strings; ``ValueError`` says what is wrong."""
    until: timedelta | None = None
    globs: list[str] = []
    for text in values:
        key, value = _split(text)
        if key == "name":
            globs.append(value)
        elif until is not None:
            raise ValueError(f"until= is given twice ({text!r}); keep one")
        else:
            until = _parse_until(value)

    return Filters(until=until, name_globs=tuple(globs))


def _split(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    key = key.strip().lower()
    if not equals or key not in KNOWN_KEYS:
        raise ValueError(
            f"unknown filter {text!r}; use until=DURATION (a Go duration such as "
            f"24h) or name=GLOB (such as 'pr-*')"
        )
    if not value:
        raise ValueError(f"the filter {text!r} has no value")

    return key, value


def _parse_until(value: str) -> timedelta:
    from s3cache_cli.spec.duration import parse_go_duration

    try:
        until = parse_go_duration(value)
    except ValueError as error:
        raise ValueError(
            f"until={value}: {error}; write a Go duration such as 24h, 90m or "
            f"168h (Go has no day unit)"
        ) from error
    if until < timedelta(0):
        raise ValueError(f"until={value} is negative")

    return until
