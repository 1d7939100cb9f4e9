"""Every command under every fault the network and S3 show, through the real CLI.

A run under transient faults must succeed with exactly the result a run
without faults gives (faults that never go away: test_permanent_faults.py).
Every run puts the server's key and secret in its flag string, and the
output of every run, at every verbosity, is scanned for the secret.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.faults.proxy import Fault, FaultProxy, Rule
from tests.reliability.dataset import Dataset
from tests.reliability.scenarios import Copy, Export, Import, Inspect, Prune, Setup

# GETs of objects only: a listing's XML has no digest to catch a flip with.
OBJECT_PATH = r"^/[^/]+/(src/)?(blobs|manifests)/"
VERBOSITY = ("-q", "", "-v", "--debug")


@dataclass(frozen=True)
class Transient:
    name: str
    fault: Fault
    probability: float
    max_hits: int
    objects_only: bool = False

    def rules(self) -> list[Rule]:
        """The first matching request always, then the others by chance: a
        run never goes without a fault, and has ``max_hits`` at most."""
        where = {"method": "GET", "path": OBJECT_PATH} if self.objects_only else {}
        return [
            Rule(self.fault, nth=1, **where),
            Rule(
                self.fault,
                probability=self.probability,
                max_hits=self.max_hits - 1,
                **where,
            ),
        ]


# At most four faults a run: fewer than the five attempts s3cache gives any
# one request, so a run fails only if a fault is not retried at all.
TRANSIENT = (
    Transient("slowdown", Fault.SLOW_DOWN, 0.3, 4),
    Transient("500", Fault.INTERNAL_ERROR, 0.3, 4),
    Transient("reset-before-response", Fault.RESET_BEFORE_RESPONSE, 0.3, 4),
    Transient("reset-after-head", Fault.RESET_AFTER_HEAD, 0.3, 4),
    Transient("cut-body", Fault.CUT_BODY, 0.3, 4),
    Transient("stall", Fault.STALL, 0.25, 3),
    Transient("flip-byte", Fault.FLIP_BYTE, 0.5, 4, objects_only=True),
)
SCENARIOS = {
    "export": Export,
    "copy": Copy,
    "import": Import,
    "inspect": Inspect,
    "prune": Prune,
}
# The local source of export is read from disk: no response body to flip.
NOT_APPLICABLE = {("export", "flip-byte")}


# Faults a stream copy meets like an export does; the heavy seeds run them.
HEAVY_ONLY = {("copy", name) for name in ("slowdown", "500", "stall")}


def transient_cases(seeds: range, *, skip: set = HEAVY_ONLY) -> list:
    return [
        pytest.param(command, fault, seed, id=f"{command}-{fault.name}-{seed}")
        for seed in seeds
        for command in SCENARIOS
        for fault in TRANSIENT
        if (command, fault.name) not in NOT_APPLICABLE | skip
    ]


@pytest.fixture
def setup(bucket, tmp_path, make_proxy, small_transfers, short_read_timeout):
    def make(seed: int) -> tuple[Setup, FaultProxy]:
        proxy = make_proxy(seed)
        dataset = Dataset.make(seed=seed)
        return Setup(bucket, tmp_path, proxy, dataset), proxy

    return make


def run_through_faults(cli, run_cli, setup, command, fault, seed):
    where, proxy = setup(seed)
    scenario = SCENARIOS[command]()
    args = scenario.prepare(where)
    reference = scenario.reference(where, run_cli) if command == "import" else None
    # Every verbosity in every row and column, so every output is scanned.
    turn = seed + list(SCENARIOS).index(command) + TRANSIENT.index(fault)
    verbosity = VERBOSITY[turn % len(VERBOSITY)]
    for rule in fault.rules():
        proxy.add_rule(rule)

    result = cli(*args, "--json", *([verbosity] if verbosity else []))

    assert result.exit_code == 0, result.output
    assert proxy.hits, "no fault was injected: the run proves nothing"
    if reference is None:
        scenario.check(where, result)
    else:
        scenario.check(where, result, reference)


@pytest.mark.parametrize(("command", "fault", "seed"), transient_cases(range(1, 2)))
def test_transient_faults_give_the_exact_result(
    cli, run_cli, setup, command: str, fault: Transient, seed: int
) -> None:
    run_through_faults(cli, run_cli, setup, command, fault, seed)


@pytest.mark.heavy
@pytest.mark.parametrize(
    ("command", "fault", "seed"), transient_cases(range(2, 4), skip=set())
)
def test_transient_faults_give_the_exact_result_more_seeds(
    cli, run_cli, setup, command: str, fault: Transient, seed: int
) -> None:
    run_through_faults(cli, run_cli, setup, command, fault, seed)
