"""How fault rules match requests and count their hits, without any network."""

from __future__ import annotations

import pytest

from tests.faults.rules import Fault, Hit, Rule, RuleSet


def faults_chosen(rules: RuleSet, requests: list[tuple[str, str, str]]) -> list:
    chosen = [rules.choose(*request) for request in requests]
    return [rule.fault if rule else None for rule in chosen]


def test_the_first_rule_that_fires_wins() -> None:
    rules = RuleSet(seed=0)
    rules.add(Rule(fault=Fault.STALL, method="PUT"))
    rules.add(Rule(fault=Fault.SLOW_DOWN, nth=2))
    rules.add(Rule(fault=Fault.FLIP_BYTE))

    chosen = faults_chosen(
        rules, [("GET", "/b/k", ""), ("GET", "/b/k", ""), ("PUT", "/b/k", "")] * 2
    )

    assert chosen == [
        Fault.FLIP_BYTE,
        Fault.SLOW_DOWN,
        Fault.STALL,
        Fault.FLIP_BYTE,
        Fault.FLIP_BYTE,
        Fault.STALL,
    ]
    assert rules.hits[1] == Hit("GET", "/b/k", Fault.SLOW_DOWN)


@pytest.mark.parametrize(
    ("rule", "request_", "matches"),
    [
        pytest.param(Rule(Fault.STALL), ("HEAD", "/b/k", ""), True, id="anything"),
        pytest.param(
            Rule(Fault.STALL, method="PUT"), ("GET", "/b/k", ""), False, id="method"
        ),
        pytest.param(
            Rule(Fault.STALL, path=r"/blobs/sha256:"),
            ("GET", "/b/blobs/sha256:ab", ""),
            True,
            id="decoded-path",
        ),
        pytest.param(
            Rule(Fault.STALL, path=r"^/blobs/"),
            ("GET", "/b/blobs/x", ""),
            False,
            id="anchored-path",
        ),
        pytest.param(
            Rule(Fault.STALL, query="uploads"),
            ("POST", "/b/k", "uploads"),
            True,
            id="query",
        ),
        pytest.param(
            Rule(Fault.STALL, query="partNumber="),
            ("PUT", "/b/k", ""),
            False,
            id="query-missing",
        ),
    ],
)
def test_rule_matching(rule, request_, matches) -> None:
    assert rule.matches(*request_) is matches


def test_the_same_seed_draws_the_same_faults() -> None:
    requests = [("GET", "/b/k", "")] * 40
    patterns = []
    for seed in (3, 3):
        rules = RuleSet(seed=seed)
        rules.add(Rule(fault=Fault.SLOW_DOWN, probability=0.25, max_hits=5))
        patterns.append(faults_chosen(rules, requests))

    assert patterns[0] == patterns[1]
    assert patterns[0].count(Fault.SLOW_DOWN) == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"probability": 1.5}, "probability", id="probability-above-1"),
        pytest.param({"nth": 0}, "nth", id="nth-zero"),
        pytest.param({"nth": 2, "probability": 0.5}, "nth", id="nth-and-probability"),
        pytest.param({"max_hits": 0}, "max_hits", id="max-hits-zero"),
        pytest.param({"stall_seconds": 600}, "stall_seconds", id="stall-unbounded"),
        pytest.param({"stall_seconds": 0}, "stall_seconds", id="stall-zero"),
    ],
)
def test_rule_refuses_settings_that_make_no_sense(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        Rule(fault=Fault.STALL, **options)
