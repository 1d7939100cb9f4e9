"""``python -m bench``: start a loopback S3 server, measure, write BENCHMARKS.md.

``bench/run`` is the entry point that installs what this needs first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import datasets
from bench.harness import OUT_DIR, REPO_ROOT, SCENARIOS, Settings, run
from bench.report import write_json, write_report

DATASETS = ("ci", "big", "many")


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    settings = settings_from(options)
    started = time.monotonic()

    from devtools.seaweed import SeaweedServer, interrupt_on_stop_signals

    interrupt_on_stop_signals()  # a killed benchmark still removes its gigabytes
    try:
        with SeaweedServer(buckets=["bench-warmup"]) as server:
            results = run(settings, server, progress)
    except KeyboardInterrupt:
        progress("interrupted; the server is stopped and its data removed")
        return 130

    write_json(results, settings.out_dir / "results.json")
    write_report(results, options.output)
    progress(f"wrote {options.output} in {time.monotonic() - started:.0f} s")
    return 0


def progress(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


def settings_from(options: argparse.Namespace) -> Settings:
    if options.repeat is not None and options.repeat < 1:
        raise SystemExit("bench: --repeat must be at least 1")
    specs = datasets.QUICK if options.quick else datasets.FULL
    wanted = _names(options.datasets, DATASETS)
    scale = 10 if options.quick else 1
    return Settings(
        datasets=tuple(spec for spec in specs if spec.name in wanted),
        scenarios=_names(options.scenarios, SCENARIOS),
        repeat=options.repeat or (1 if options.quick else 3),
        seed=options.seed,
        out_dir=options.out_dir,
        prune_blobs=options.prune_blobs or 1_000_000 // scale,
        prune_manifests=options.prune_manifests or 10_000 // scale,
        quick=options.quick,
    )


def _names(value: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise SystemExit(
            f"bench: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}"
        )
    return names


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Measure s3cache against s5cmd and the AWS CLI on a "
        "loopback SeaweedFS server and write BENCHMARKS.md.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller datasets, one run each, 100,000 blobs for the planner",
    )
    parser.add_argument(
        "--repeat", type=int, help="runs per tool and scenario (default 3; quick 1)"
    )
    parser.add_argument(
        "--datasets", default=",".join(DATASETS), help="comma-separated: ci,big,many"
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated: " + ",".join(SCENARIOS),
    )
    parser.add_argument("--seed", type=int, default=1, help="dataset seed")
    parser.add_argument("--prune-blobs", type=int, help="blobs in the planner listing")
    parser.add_argument("--prune-manifests", type=int, help="manifests in it")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="report path"
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=OUT_DIR,
        help="datasets, logs and results.json (default bench/out)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
