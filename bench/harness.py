"""Every scenario, each tool in turn, against one loopback S3 server.

A scenario is one transfer of one dataset (export, import, re-export) or the
prune planner. Its jobs run alternately, the first tool rotating each round,
so that a slow spell of the shared machine does not land on one tool only.
Each run is a child process, measured, then checked (untimed): a tool that
exits 0 without having moved every blob is recorded as failed, never timed.
"""

from __future__ import annotations

import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import bucket, datasets, peers, scenarios
from bench.datasets import Dataset, DatasetSpec
from bench.measure import Measurement, run_measured
from bench.peers import Location, Toolbox
from bench.scenarios import NOT_AVAILABLE, Context, Job

SCENARIOS = ("export", "import", "re-export", "prune")
OK = "ok"
FAILED = "failed"
NOT_AVAILABLE_MESSAGE = "not available in this version"

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    datasets: tuple[DatasetSpec, ...] = datasets.FULL
    scenarios: tuple[str, ...] = SCENARIOS
    repeat: int = 3
    seed: int = 1
    out_dir: Path = OUT_DIR
    prune_blobs: int = 1_000_000
    prune_manifests: int = 10_000
    quick: bool = False
    timeout_s: float = 3600.0


@dataclass(frozen=True)
class Row:
    """One tool in one scenario: its runs, or why it has none."""

    scenario: str
    dataset: str
    tool: str
    command: str
    status: str
    runs: tuple[Measurement, ...] = ()
    detail: str = ""

    @property
    def measured(self) -> bool:
        return self.status == OK and bool(self.runs)

    @property
    def wall_s(self) -> float | None:
        return self._median([run.wall_s for run in self.runs])

    @property
    def cpu_s(self) -> float | None:
        return self._median([run.cpu_s for run in self.runs])

    @property
    def max_rss_mib(self) -> float | None:
        return max(run.max_rss_mib for run in self.runs) if self.measured else None

    def _median(self, values: list[float]) -> float | None:
        return statistics.median(values) if self.measured else None


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    blobs: int
    layer_bytes: int


@dataclass(frozen=True)
class Results:
    settings: Settings
    datasets: tuple[DatasetSummary, ...]
    rows: tuple[Row, ...]
    versions: dict[str, str]


@dataclass(frozen=True)
class Bench:
    """One benchmark session: settings, the jobs' context, the tools' env."""

    settings: Settings
    context: Context
    env: dict[str, str]
    seed_bucket: str
    progress: Progress


def run(settings: Settings, server: Any, progress: Progress) -> Results:
    """Measure every scenario of ``settings`` against a started SeaweedServer."""
    generated = [
        prepare_dataset(spec, settings, progress) for spec in settings.datasets
    ]
    bench = open_bench(settings, server, progress)

    try:
        rows = [row for dataset in generated for row in run_dataset(bench, dataset)]
        if "prune" in settings.scenarios:
            rows += run_prune(bench)
    finally:
        for name in (bench.context.transfers_bucket, bench.seed_bucket):
            bucket.remove_bucket(bench.context.client, name)

    summaries = tuple(
        DatasetSummary(d.name, len(d.layers), d.layer_bytes) for d in generated
    )
    return Results(settings, summaries, tuple(rows), collect_versions(bench))


def prepare_dataset(spec: DatasetSpec, settings: Settings, progress) -> Dataset:
    progress(f"dataset {spec.name}: generating, or reusing the copy on disk")
    cache_dir = settings.out_dir / "data"
    return datasets.ensure_dataset(spec, seed=settings.seed, cache_dir=cache_dir)


def open_bench(settings: Settings, server: Any, progress: Progress) -> Bench:
    """Buckets of its own on ``server``, and the environment the tools run in."""
    endpoint = peers.Endpoint(
        server.endpoint_url, server.region, server.access_key, server.secret_key
    )
    env = peers.tool_environment(endpoint, settings.out_dir / "home")
    toolbox = peers.find_toolbox()
    client = server.client()
    token = uuid.uuid4().hex[:8]
    transfers, seeded = f"bench-transfers-{token}", f"bench-seed-{token}"
    for name in (transfers, seeded):
        client.create_bucket(Bucket=name)

    missing = frozenset(
        subcommand
        for subcommand in ("export", "import")
        if s3cache_says_unavailable(toolbox, env, subcommand)
    )
    work_dir = settings.out_dir / "work"
    context = Context(toolbox, endpoint, client, transfers, work_dir, missing)
    return Bench(settings, context, env, seeded, progress)


def s3cache_says_unavailable(
    toolbox: Toolbox, env: dict[str, str], command: str
) -> bool:
    """Whether ``s3cache COMMAND`` is still the placeholder of a coming command.

    Asked once, with no arguments: the placeholder exits 2 saying "not
    available in this version"; a real command complains about its missing
    arguments instead, and is then measured (and may fail) like any other.
    """
    done = subprocess.run(
        [*toolbox.s3cache, command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode == 2 and NOT_AVAILABLE_MESSAGE in done.stdout + done.stderr


def run_dataset(bench: Bench, dataset: Dataset) -> list[Row]:
    wanted, context = bench.settings.scenarios, bench.context
    rows: list[Row] = []
    if "export" in wanted:
        rows += measure(
            bench, "export", dataset.name, scenarios.export_jobs(context, dataset)
        )
    if "import" not in wanted and "re-export" not in wanted:
        return rows

    bench.progress(f"dataset {dataset.name}: seeding the bucket (untimed)")
    seeded = Location(bench.seed_bucket, f"seed/{dataset.name}/")
    bucket.seed(context.client, dataset, seeded)
    # S3 keeps LastModified to the second: let one pass, so that a re-export
    # that writes a seeded object again shows in its check.
    time.sleep(1.0)
    if "import" in wanted:
        jobs = scenarios.import_jobs(context, dataset, seeded)
        rows += measure(bench, "import", dataset.name, jobs)
    if "re-export" in wanted:
        jobs = scenarios.reexport_jobs(context, dataset, seeded)
        rows += measure(bench, "re-export", dataset.name, jobs)
    return rows


def run_prune(bench: Bench) -> list[Row]:
    settings = bench.settings
    jobs = scenarios.prune_jobs(
        blobs=settings.prune_blobs,
        manifests=settings.prune_manifests,
        seed=settings.seed,
    )
    return measure(bench, "prune", prune_label(settings), jobs)


def prune_label(settings: Settings) -> str:
    return f"{settings.prune_blobs:,} blobs, {settings.prune_manifests:,} manifests"


def measure(bench: Bench, scenario: str, dataset: str, jobs: list[Job]) -> list[Row]:
    """Run the jobs ``repeat`` times, alternating; one row per job.

    A job that fails or is not available stops there: its row says so and
    carries no numbers.
    """
    runs: dict[str, list[Measurement]] = {job.tool: [] for job in jobs}
    verdicts = {job.tool: (job.unavailable, "") for job in jobs if job.unavailable}
    for round_index in range(bench.settings.repeat):
        for job in rotated(jobs, round_index):
            if job.tool in verdicts:
                continue
            slot = f"r{round_index + 1}"
            measurement, status, detail = attempt(
                bench, f"{scenario}-{dataset}", job, slot
            )
            bench.progress(
                describe_attempt(scenario, dataset, job, slot, measurement, status)
            )
            if status == OK:
                runs[job.tool].append(measurement)
            else:
                verdicts[job.tool] = (status, detail)

    return [
        _row(scenario, dataset, job, runs[job.tool], verdicts.get(job.tool))
        for job in jobs
    ]


def rotated(jobs: list[Job], shift: int) -> list[Job]:
    shift %= len(jobs)
    return jobs[shift:] + jobs[:shift]


def _row(scenario, dataset, job: Job, runs, verdict: tuple[str, str] | None) -> Row:
    status, detail = verdict or (OK, "")
    measured = tuple(runs) if status == OK else ()
    return Row(scenario, dataset, job.tool, job.command, status, measured, detail)


def attempt(
    bench: Bench, label: str, job: Job, slot: str
) -> tuple[Measurement, str, str]:
    """One measured run: its measurement, status, and why it failed if it did."""
    assert job.argv is not None
    log_path = bench.settings.out_dir / "logs" / f"{_slug(label)}-{job.tool}-{slot}.log"
    try:
        measurement = run_measured(
            job.argv(slot),
            env=bench.env,
            log_path=log_path,
            timeout_s=bench.settings.timeout_s,
        )
        status, detail = classify(measurement, log_path.read_text(errors="replace"))
        if status == OK:
            problem = job.check(slot)
            status, detail = (FAILED, problem) if problem else (OK, "")
    finally:
        job.cleanup(slot)
    return measurement, status, detail


def classify(measurement: Measurement, output: str) -> tuple[str, str]:
    """ok, not available, or failed with the last line the tool printed."""
    if measurement.exit_code == 0:
        return OK, ""
    if measurement.exit_code == 2 and NOT_AVAILABLE_MESSAGE in output:
        return NOT_AVAILABLE, ""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    last = lines[-1][:200] if lines else "no output"
    return FAILED, f"exit {measurement.exit_code}: {last}"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def describe_attempt(scenario, dataset, job: Job, slot, measurement, status) -> str:
    return (
        f"{scenario} {dataset}: {job.command} {slot}: {status}, "
        f"{measurement.wall_s:.2f} s wall, {measurement.cpu_s:.2f} s CPU, "
        f"{measurement.max_rss_mib:.0f} MiB"
    )


def collect_versions(bench: Bench) -> dict[str, str]:
    from devtools.seaweed import weed_binary

    return peers.tool_versions(bench.context.toolbox, bench.env, weed_binary())
