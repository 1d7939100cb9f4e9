"""`s3cache export`: put a BuildKit cache into S3 in BuildKit's own layout."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import cache_from_option, cache_to_option, common_options
from s3cache_cli.cli.params import (
    complete_directory,
    report_spec_notes,
    spec_from_argument,
)
from s3cache_cli.errors import UsageError

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.export.plan import ExportPlan
    from s3cache_cli.export.run import TransferOutcome
    from s3cache_cli.export.sources import CacheSource
    from s3cache_cli.s3.client import S3Connection
    from s3cache_cli.spec import LocalSpec, S3Spec


@click.command("export")
@click.argument(
    "directory", required=False, metavar="[DIR]", shell_complete=complete_directory
)
@cache_to_option(
    allowed_types=("s3",),
    advice={
        "type": "this command takes type=s3 only; to write a local directory "
        "from S3, use s3cache import"
    },
    required=True,
    help="Where to put the cache: type=s3,bucket=…,region=…[,name=a;b].",
)
@cache_from_option(
    help="The cache to export: type=local,src=DIR[,tag=T|digest=D], or another "
    "type=s3 cache to copy. A DIR argument wins over $S3CACHE_CACHE_FROM.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be uploaded, touched or left alone; write nothing.",
)
@common_options
def export(
    app: App,
    directory: str | None,
    cache_to: S3Spec,
    cache_from: LocalSpec | S3Spec | None,
    dry_run: bool,
) -> None:
    """Put a BuildKit build cache into S3, where `docker buildx build
    --cache-from type=s3,...` with the same string finds it.

    DIR is short for --cache-from type=local,src=DIR: the tag latest of the
    folder a build wrote with --cache-to type=local,dest=DIR. To export
    another tag, give --cache-from type=local,src=DIR,tag=T instead of DIR.
    Blobs already in the bucket are not sent again (stale ones are touched);
    the manifest is written under every name, last.

    \b
    A build's local cache, put where BuildKit's type=s3 finds it:
      docker buildx build --cache-to type=local,dest=/tmp/cache,mode=max .
      s3cache export /tmp/cache \\
        --cache-to 'type=s3,region=eu-west-1,bucket=ci-cache,name=main'

    Exit status: 0 done, 1 an upload failed or a blob is damaged, 2 usage,
    3 no cache to export (no such directory, index.json or tag), 4
    credentials.
    """
    source_spec = _source_spec(directory, cache_from)
    report_spec_notes(app, cache_to, flag="--cache-to")
    report_spec_notes(app, source_spec, flag="--cache-from")

    app.ignore_error = cache_to.ignore_error or source_spec.ignore_error
    _export(app, source_spec, cache_to, dry_run)


def _export(
    app: App, source_spec: LocalSpec | S3Spec, dest_spec: S3Spec, dry_run: bool
) -> None:
    from s3cache_cli.export import run
    from s3cache_cli.export.plan import blob_sizes

    started = time.monotonic()
    source = _open_source(app, source_spec, dest_spec)
    config = _shaped(app, source.config, dest_spec)
    dest = _connect(app, dest_spec)

    sizes = blob_sizes(config)
    plan = run.survey(dest, source, sizes, touch_refresh=dest_spec.touch_refresh)
    manifest = config.to_s3_bytes()

    outcome = None
    if not dry_run:
        outcome = _transfer(app, source, dest, plan)
        run.publish(dest, dest_spec.names, manifest)

    keys = tuple(dest_spec.manifest_key(name) for name in dest_spec.names)
    seconds = time.monotonic() - started
    _report(app, source, dest, plan, keys, seconds=seconds, outcome=outcome)


def _source_spec(
    directory: str | None, cache_from: LocalSpec | S3Spec | None
) -> LocalSpec | S3Spec:
    """DIR wins over $S3CACHE_CACHE_FROM; next to an explicit --cache-from it
    is ambiguous."""
    if directory is None:
        if cache_from is None:
            raise UsageError(
                "nothing to export: give a directory or --cache-from",
                hint="s3cache export /tmp/cache --cache-to 'type=s3,…'",
            )
        return cache_from

    source = click.get_current_context().get_parameter_source("cache_from")
    if cache_from is not None and source is click.core.ParameterSource.COMMANDLINE:
        from s3cache_cli.spec.model import join_fields

        flag_string = join_fields([("type", "local"), ("src", directory), ("tag", "T")])
        raise UsageError(
            "give either DIR or --cache-from, not both",
            hint="to choose a tag, drop DIR and pass "
            f"--cache-from {_single_quoted(flag_string)}",
        )
    return spec_from_argument(directory, "from")


def _single_quoted(text: str) -> str:
    """Quoted for a POSIX shell, the way the examples in the help quote."""
    return "'" + text.replace("'", "'\\''") + "'"


def _open_source(
    app: App, source_spec: LocalSpec | S3Spec, dest_spec: S3Spec
) -> CacheSource:
    from s3cache_cli.export.sources import LocalSource, S3Source

    if source_spec.type == "local":
        return LocalSource.open(source_spec)  # type: ignore[arg-type]

    conn = _connect(app, source_spec, pool_for=dest_spec)  # type: ignore[arg-type]
    return S3Source.open(conn)


def _shaped(app: App, config: CacheConfig, dest_spec: S3Spec) -> CacheConfig:
    if dest_spec.mode != "min":
        return config

    trimmed = config.trim_to_min()
    app.detail(f"mode=min keeps {len(trimmed.layers)} of {len(config.layers)} layers")
    return trimmed


def _connect(app: App, spec: S3Spec, *, pool_for: S3Spec | None = None) -> S3Connection:
    """Connect, and say how (-v) before the first request can fail.

    The pool is sized for the destination's transfers, which a copy's source
    connection serves too.
    """
    from s3cache_cli.s3.client import connect

    conn = connect(spec, max_pool_connections=_pool_size(pool_for or spec))
    app.describe_connection(conn)
    return conn


def _pool_size(spec: S3Spec) -> int:
    """A connection for every request that can be in flight at once."""
    from s3cache_cli.export.run import HEAD_PARALLELISM
    from s3cache_cli.s3.copy import COPY_PARALLELISM
    from s3cache_cli.s3.upload import PART_PARALLELISM

    per_blob = max(PART_PARALLELISM, COPY_PARALLELISM)
    return max(HEAD_PARALLELISM, spec.upload_parallelism * per_blob) + 2


def _transfer(
    app: App, source: CacheSource, dest: S3Connection, plan: ExportPlan
) -> TransferOutcome:
    from s3cache_cli.export import run
    from s3cache_cli.ui.progress import make_listener

    return run.transfer(
        plan,
        source,
        dest,
        listener=make_listener(app, _progress_verb(plan, source, dest)),
        parallelism=dest.spec.upload_parallelism,
    )


def _progress_verb(plan: ExportPlan, source: CacheSource, dest: S3Connection) -> str:
    """What the progress line says is happening to its blobs: a touch-only
    export sends nothing, and should not say "uploading 3000 blobs"."""
    from s3cache_cli.export.plan import Action

    sending = "uploading" if source.transfer_kind(dest) == "upload" else "copying"
    if not plan.having(Action.UPLOAD):
        return "touching"
    if plan.having(Action.TOUCH):
        return f"{sending} and touching"
    return sending


def _report(
    app: App,
    source: CacheSource,
    dest: S3Connection,
    plan: ExportPlan,
    keys: tuple[str, ...],
    *,
    seconds: float,
    outcome: TransferOutcome | None,
) -> None:
    from s3cache_cli.export.report import ExportResult

    copying = source.transfer_kind(dest) != "upload"
    for step in plan.steps:
        label = "copy" if copying and step.action == "upload" else step.action
        app.detail(f"{label:<8} {step.digest} ({step.size} bytes)")

    result = ExportResult(
        source=source.description,
        destination=f"s3://{dest.bucket}/{dest.spec.prefix}",
        transfer_kind=source.transfer_kind(dest),
        plan=plan,
        manifests=keys,
        seconds=seconds,
        outcome=outcome,
    )
    document = result.to_json()
    app.result(document, lambda app: _render(app, document))


def _render(app: App, document: dict[str, Any]) -> None:
    from s3cache_cli.export.sources import SENT_WORDS
    from s3cache_cli.ui.units import format_bytes, format_duration

    dry_run = document["dry_run"]
    blobs, sizes = document["blobs"], document["bytes"]
    sent_done, sent_planned, bytes_verb = SENT_WORDS[document["transfer"]]
    sent = sent_planned if dry_run else sent_done
    touched = "to touch" if dry_run else "touched"
    app.print(
        f"{'would export' if dry_run else 'exported'} {document['source']} "
        f"to {document['destination']}"
    )
    app.print(
        f"  blobs: {blobs['upload']} {sent} ({format_bytes(sizes['upload'])}), "
        f"{blobs['touch']} {touched}, {blobs['present']} already present"
    )
    if not dry_run:
        moved = document["bytes_sent"] or document["bytes_copied"]
        rate = format_bytes(document["bytes_per_second"])
        app.print(
            f"  {bytes_verb} {format_bytes(moved)} at {rate}/s, "
            f"done in {format_duration(document['seconds'])}"
        )
    label = "manifests to write" if dry_run else "manifests written"
    app.print(f"  {label}: {', '.join(document['manifests'])}")
