"""BENCHMARKS.md: the machine, every row in one table, the targets, and notes.

The notes section is written by hand; rewriting the file keeps it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.harness import OK, Results, Row, Settings, prune_label

NOTES_HEADING = "## Notes"
NOTES_PLACEHOLDER = (
    "<!-- Written by hand: bench/run keeps this section when it rewrites "
    "the file. -->\n"
)
FULL_PRUNE = prune_label(Settings())
NO_VALUE = "—"


@dataclass(frozen=True)
class Target:
    """s3cache's ``metric`` in one scenario, against a peer or a fixed limit."""

    label: str
    scenario: str
    dataset: str
    metric: str
    peer: str | None = None
    factor: float = 1.0
    limit: float | None = None
    strict: bool = False

    def bound(self, peer_value: float | None) -> float:
        if self.peer is None:
            assert self.limit is not None
            return self.limit
        assert peer_value is not None
        return self.factor * peer_value

    def met(self, value: float, bound: float) -> bool:
        return value < bound if self.strict else value <= bound


TARGETS = (
    Target("export ci: wall ≤ 1.0× s5cmd cp", "export", "ci", "wall_s", "s5cmd"),
    Target(
        "import ci, digests verified: wall ≤ 1.0× s5cmd cp",
        "import",
        "ci",
        "wall_s",
        "s5cmd",
    ),
    Target(
        "re-export ci, nothing to upload: wall ≤ 0.5× aws s3 sync",
        "re-export",
        "ci",
        "wall_s",
        "aws",
        factor=0.5,
    ),
    Target("export big: peak RSS ≤ 100 MiB", "export", "big", "max_rss_mib", limit=100),
    Target("import big: peak RSS ≤ 100 MiB", "import", "big", "max_rss_mib", limit=100),
    *(
        Target(
            f"{scenario} {dataset}: CPU s ≤ AWS CLI", scenario, dataset, "cpu_s", "aws"
        )
        for scenario in ("export", "import", "re-export")
        for dataset in ("ci", "big", "many")
    ),
    Target(
        "prune planner, 1,000,000 blobs: peak RSS < 500 MiB",
        "prune",
        FULL_PRUNE,
        "max_rss_mib",
        limit=500,
        strict=True,
    ),
)

UNITS = {"wall_s": "s", "cpu_s": "s CPU", "max_rss_mib": "MiB"}


@dataclass(frozen=True)
class Verdict:
    label: str
    measured: str
    result: str


def evaluate(target: Target, rows: tuple[Row, ...]) -> Verdict:
    """pass or fail; "not measured" or "not available" when a number is missing."""
    ours = find_row(rows, target.scenario, target.dataset, "s3cache")
    if ours is None:
        return Verdict(target.label, NO_VALUE, "not measured")
    if not ours.measured:
        return Verdict(target.label, ours.status, _missing_result(ours))

    value = getattr(ours, target.metric)
    peer_value = None
    if target.peer is not None:
        theirs = find_row(rows, target.scenario, target.dataset, target.peer)
        if theirs is None or not theirs.measured:
            return Verdict(target.label, f"no {target.peer} numbers", "not measured")
        peer_value = getattr(theirs, target.metric)

    bound = target.bound(peer_value)
    measured = _describe(target, value, peer_value)
    return Verdict(
        target.label, measured, "pass" if target.met(value, bound) else "fail"
    )


def _missing_result(row: Row) -> str:
    return "fail" if row.status.startswith("failed") else row.status


def _describe(target: Target, value: float, peer_value: float | None) -> str:
    unit = UNITS[target.metric]
    if peer_value is None:
        return f"{value:.1f} {unit} (limit {target.limit:.0f})"
    ratio = value / peer_value if peer_value else float("inf")
    return f"{value:.2f} vs {peer_value:.2f} {unit} ({ratio:.2f}×)"


def find_row(rows, scenario: str, dataset: str, tool: str) -> Row | None:
    matches = [
        row
        for row in rows
        if (row.scenario, row.dataset, row.tool) == (scenario, dataset, tool)
    ]
    return matches[0] if matches else None


def render(results: Results, machine: dict[str, str], notes: str) -> str:
    sections = [
        render_header(results),
        render_machine(machine, results.versions),
        render_method(results),
        render_table(results.rows),
        render_failures(results.rows),
        render_targets(results),
        f"{NOTES_HEADING}\n\n{notes.strip()}\n",
    ]
    return "\n".join(section for section in sections if section)


def render_header(results: Results) -> str:
    settings = results.settings
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `bench/run` on {when}: median of {settings.repeat} run(s)"
        f" per tool, seed {settings.seed}.",
    ]
    if settings.quick:
        lines += [
            "",
            "**Quick run**: smaller datasets and fewer runs; the targets are "
            "for a full run (`bench/run` without `--quick`).",
        ]
    return "\n".join(lines) + "\n"


def render_machine(machine: dict[str, str], versions: dict[str, str]) -> str:
    lines = ["## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in machine.items()]
    lines += [f"- {name}: {value}" for name, value in sorted(versions.items())]
    lines.append("- S3 server: SeaweedFS `weed mini` on 127.0.0.1, on the same machine")
    return "\n".join(lines) + "\n"


def render_method(results: Results) -> str:
    datasets = ", ".join(
        f"{d.name} ({_count(d.blobs, 'blob')}, {d.layer_bytes / 1e6:,.0f} MB)"
        for d in results.datasets
    )
    return (
        "## How it was measured\n\n"
        f"Datasets: {datasets or 'none'}; synthetic BuildKit caches of random "
        "bytes, in the local (OCI layout) form.\n"
        "Each tool runs as a child process with only the loopback server's "
        "endpoint and credentials in its environment; the tools take turns, "
        "and every run starts from an empty destination. Wall time is "
        "measured around the child; CPU is user + system time of the child "
        "and its own children, and peak RSS the largest resident set among "
        "them (`os.wait4`). s5cmd and the AWS CLI move the files of "
        "`blobs/sha256/` as they are; s3cache moves the cache itself.\n"
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def render_table(rows: tuple[Row, ...]) -> str:
    lines = [
        "## Results",
        "",
        "| Scenario | Tool | Wall s (median) | CPU s (median) "
        "| Peak RSS MiB | s3cache / peer (wall) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [_table_line(row, rows) for row in rows]
    return "\n".join(lines) + "\n"


def _table_line(row: Row, rows: tuple[Row, ...]) -> str:
    scenario = f"{row.scenario} {row.dataset}"
    if not row.measured:
        blanks = " | ".join([NO_VALUE] * 3)
        return f"| {scenario} | {row.command} | {row.status} | {blanks} |"
    return (
        f"| {scenario} | {row.command} | {row.wall_s:.2f} | {row.cpu_s:.2f} "
        f"| {row.max_rss_mib:.0f} | {_ratio(row, rows)} |"
    )


def _ratio(row: Row, rows: tuple[Row, ...]) -> str:
    if row.tool == "s3cache":
        return NO_VALUE
    ours = find_row(rows, row.scenario, row.dataset, "s3cache")
    if ours is None or not ours.measured or not row.wall_s:
        return NO_VALUE
    return f"{ours.wall_s / row.wall_s:.2f}×"


def render_failures(rows: tuple[Row, ...]) -> str:
    failed = [row for row in rows if row.status not in (OK,) and row.detail]
    if not failed:
        return ""
    lines = ["### Failed runs", ""]
    lines += [
        f"- {row.scenario} {row.dataset}, {row.command}: {row.detail}" for row in failed
    ]
    return "\n".join(lines) + "\n"


def render_targets(results: Results) -> str:
    lines = ["## Targets", "", "| Target | Measured | Result |", "|---|---|---|"]
    for target in TARGETS:
        verdict = evaluate(target, results.rows)
        lines.append(f"| {verdict.label} | {verdict.measured} | {verdict.result} |")
    return "\n".join(lines) + "\n"


def existing_notes(path: Path) -> str:
    """The hand-written notes of an earlier BENCHMARKS.md, or the placeholder."""
    if not path.exists():
        return NOTES_PLACEHOLDER
    text = path.read_text()
    heading = text.find(f"\n{NOTES_HEADING}\n")
    if heading < 0:
        return NOTES_PLACEHOLDER
    return text[heading + len(NOTES_HEADING) + 2 :].strip() + "\n"


def write_report(results: Results, path: Path) -> None:
    notes = existing_notes(path)
    path.write_text(render(results, machine_facts(), notes))


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = dataclasses.asdict(results)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def machine_facts() -> dict[str, str]:
    return {
        "CPU": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} cores usable",
        "Memory": f"{_memory_gib():.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "boto3": _package_version("boto3"),
        "botocore": _package_version("botocore"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    pages = os.sysconf("SC_PHYS_PAGES")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**30


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
