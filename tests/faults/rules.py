"""Which requests the fault proxy spoils, and how: rules and their counting.

Rules are tried in the order they were added; the first that fires wins.
Draws come from one seeded source, so a run with the same requests in the
same order injects the same faults.
"""

from __future__ import annotations

import enum
import random
import re
import threading
from dataclasses import dataclass
from typing import NamedTuple

MAX_STALL_SECONDS = 30.0


class Fault(enum.Enum):
    """What the proxy does to a request; a chunked body is cut or flipped at 0."""

    SLOW_DOWN = "slow-down"  # 503 SlowDown; the request is not forwarded
    INTERNAL_ERROR = "internal-error"  # 500 InternalError; not forwarded
    RESET_BEFORE_RESPONSE = "reset-before-response"  # read the request, reset
    RESET_AFTER_HEAD = "reset-after-head"  # forward; reset after the head
    CUT_BODY = "cut-body"  # forward; close after half the declared body
    STALL = "stall"  # read the request and answer nothing for a while
    FLIP_BYTE = "flip-byte"  # forward; invert the middle byte of the body


@dataclass(frozen=True)
class Rule:
    """Which requests get a fault, and how often.

    ``path`` is a regex searched in the percent-decoded path, ``query`` a
    substring of the raw query. A rule fires with ``probability`` or, with
    ``nth``, on the nth matching request and the ones after it until
    ``max_hits`` is reached; ``max_hits`` defaults to 1 with ``nth`` and to
    unlimited without.
    """

    fault: Fault
    method: str | None = None
    path: str | None = None
    query: str | None = None
    probability: float = 1.0
    nth: int | None = None
    max_hits: int | None = None
    stall_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], not {self.probability}")
        if self.nth is not None and (self.nth < 1 or self.probability != 1.0):
            raise ValueError("nth must be at least 1 and excludes probability")
        if self.max_hits is not None and self.max_hits < 1:
            raise ValueError(f"max_hits must be at least 1, not {self.max_hits}")
        if not 0.0 < self.stall_seconds <= MAX_STALL_SECONDS:
            raise ValueError(f"stall_seconds must be in (0, {MAX_STALL_SECONDS}]")

    def matches(self, method: str, path: str, query: str) -> bool:
        return (
            self.method in (None, method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.query is None or self.query in query)
        )

    @property
    def hit_limit(self) -> int | None:
        if self.max_hits is None and self.nth is not None:
            return 1
        return self.max_hits


class Hit(NamedTuple):
    method: str
    path: str
    fault: Fault


@dataclass
class _Counter:
    rule: Rule
    matched: int = 0
    hits: int = 0


class RuleSet:
    """The rules of one proxy, safe to consult from its request threads."""

    def __init__(self, seed: int) -> None:
        self.hits: list[Hit] = []
        self._random = random.Random(seed)
        self._counters: list[_Counter] = []
        self._lock = threading.Lock()

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._counters.append(_Counter(rule))

    def clear(self) -> None:
        with self._lock:
            self._counters.clear()

    def choose(self, method: str, path: str, query: str) -> Rule | None:
        """The first rule that fires for this request, logged as a hit."""
        with self._lock:
            for counter in self._counters:
                if counter.rule.matches(method, path, query) and self._fires(counter):
                    self.hits.append(Hit(method, path, counter.rule.fault))
                    return counter.rule
        return None

    def _fires(self, counter: _Counter) -> bool:
        counter.matched += 1
        limit = counter.rule.hit_limit
        if limit is not None and counter.hits >= limit:
            return False

        if counter.rule.nth is not None:
            fired = counter.matched >= counter.rule.nth
        else:
            fired = self._random.random() < counter.rule.probability
        counter.hits += fired
        return fired
