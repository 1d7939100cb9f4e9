"""`s3cache prune`: delete old caches, then the blobs no cache names any more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import SpecOption, common_options
from s3cache_cli.cli.params import CacheSpec, report_spec_notes
from s3cache_cli.errors import CacheNotFound, UsageError

if TYPE_CHECKING:
    from s3cache_cli.prune.execute import Pruner, PruneReport
    from s3cache_cli.prune.plan import CacheChoice, Rules
    from s3cache_cli.spec import LocalSpec, S3Spec
    from s3cache_cli.stores.base import BlobEntry, CacheEntry, CacheStore

# No exporter touches the files of a local cache, so only an export running
# right now can be about to name a blob there.
LOCAL_GRACE = timedelta(hours=1)
# How long an export may take between checking a blob and writing its manifest.
EXPORT_MARGIN = timedelta(hours=1)


@click.command("prune")
@click.option(
    "--cache-to",
    cls=SpecOption,
    type=CacheSpec(
        "to",
        allowed_types=("s3", "local"),
        advice={
            "src": "prune takes the directory as dest=DIR "
            "(or --cache-from type=local,src=DIR)"
        },
    ),
    metavar="SPEC",
    help="The bucket or directory to prune, as for docker buildx: "
    "type=s3,bucket=…,region=…[,prefix=…][,name=a;b] or type=local,dest=DIR"
    "[,tag=T]. A name= or tag= deletes those caches.",
)
@click.option(
    "--cache-from",
    cls=SpecOption,
    type=CacheSpec(
        "from",
        allowed_types=("s3", "local"),
        advice={
            "dest": "prune takes the directory as src=DIR here "
            "(or --cache-to type=local,dest=DIR)"
        },
    ),
    metavar="SPEC",
    help="The same as --cache-to (type=local takes src=DIR here).",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="until=DURATION: delete caches not modified for that long, a Go "
    "duration (24h, 90m, 168h; no days). name=GLOB (repeatable): narrow the "
    "other selectors to matching names; alone it deletes no cache.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Delete every cache (only those named, when the flag string names some).",
)
@click.option(
    "--keep-storage",
    metavar="SIZE",
    help="Then delete the least recently modified caches until the blobs the "
    "others name fit in SIZE (10GB, 512MiB; a shared blob counts once).",
)
@click.option(
    "--grace",
    metavar="DURATION",
    help="Keep unreferenced blobs and unfinished uploads younger than this "
    "(Go duration). Default: touch_refresh + 1h (25h) in S3, 1h for a directory.",
)
@click.option("--dry-run", is_flag=True, help="Show what would go; delete nothing.")
@click.option(
    "-f", "--force", is_flag=True, help="Do not ask; needed without a terminal."
)
@common_options
def prune(
    app: App,
    cache_to: S3Spec | LocalSpec | None,
    cache_from: S3Spec | LocalSpec | None,
    filters: tuple[str, ...],
    everything: bool,
    keep_storage: str | None,
    grace: str | None,
    dry_run: bool,
    force: bool,
) -> None:
    """Delete caches, then every blob no remaining cache names.

    Without name=, tag=, --all, --filter until= or --keep-storage no cache
    is deleted: prune only removes blobs that no cache names and that were
    not modified within the grace period, and aborts unfinished uploads
    older than it. Objects whose names are not digests are never touched.

    \b
    See what would go, then delete the caches of closed pull requests:
      s3cache prune --dry-run --all --filter 'name=pr-*' \\
        --cache-to 'type=s3,bucket=ci-cache,region=eu-west-1'
      s3cache prune --force --all --filter 'name=pr-*' \\
        --cache-to 'type=s3,bucket=ci-cache,region=eu-west-1'
    Caches unused for a week, then the oldest until 50GB remain:
      s3cache prune -f --filter until=168h --keep-storage 50GB \\
        --cache-to 'type=s3,bucket=ci-cache,region=eu-west-1,prefix=team1/'
    A local cache directory: drop the tag old and the blobs only it used:
      s3cache prune -f --cache-to 'type=local,dest=/tmp/cache,tag=old'

    Exit status: 0 done (or the question answered no or Ctrl-D), 1 a manifest
    could not be read (nothing deleted) or a delete failed, 2 usage (also: no
    terminal and neither --force nor --dry-run), 3 a named cache does not
    exist (or the directory), 4 credentials.
    """
    spec, flag = _one_spec(cache_to, cache_from)
    rules = _rules(spec, filters, everything, keep_storage)
    grace_period = _grace(spec, grace)
    if not dry_run and not force and not app.interactive:
        raise UsageError(
            "prune deletes caches and blobs and cannot ask here: no terminal",
            hint="add --force to delete, or --dry-run to see what would go",
        )

    report_spec_notes(app, spec, flag=flag)
    _warn_if_name_filter_alone(app, rules)
    app.ignore_error = spec.ignore_error
    _prune(app, spec, rules, grace_period, dry_run=dry_run, force=force)


def _prune(
    app: App,
    spec: S3Spec | LocalSpec,
    rules: Rules,
    grace: timedelta,
    *,
    dry_run: bool,
    force: bool,
) -> None:
    from s3cache_cli.prune.execute import Pruner

    store = _open_store(app, spec)
    now = datetime.now(UTC)
    pruner = Pruner(
        store, rules, grace=grace, now=now, events=_Events(app, dry_run=dry_run)
    )
    app.info(f"reading the caches in {store.description}")
    choice = pruner.choose()

    if dry_run:
        report = pruner.dry_run(choice)
    elif force or _confirmed(app, pruner, choice, store):
        report = pruner.run(choice)
    else:
        # As docker buildx prune: declining is an answer, not a failure.
        declined = {"store": store.description, "dry_run": False, "declined": True}
        app.result(declined, lambda app: app.info("nothing was deleted"))
        return

    _show(app, report, store=store.description, grace=grace, rules=rules)
    _raise_for_missing(report, store.description)


def _one_spec(
    cache_to: S3Spec | LocalSpec | None, cache_from: S3Spec | LocalSpec | None
) -> tuple[S3Spec | LocalSpec, str]:
    if cache_to is not None and cache_from is not None:
        raise UsageError("give --cache-to or --cache-from, not both")
    if cache_to is not None:
        return cache_to, "--cache-to"
    if cache_from is not None:
        return cache_from, "--cache-from"

    raise UsageError(
        "which cache? give --cache-to",
        hint="such as --cache-to 'type=s3,bucket=ci-cache,region=eu-west-1'",
    )


def _rules(
    spec: S3Spec | LocalSpec,
    filters: tuple[str, ...],
    everything: bool,
    keep_storage: str | None,
) -> Rules:
    from s3cache_cli.prune.filters import parse_filters
    from s3cache_cli.prune.plan import Rules
    from s3cache_cli.prune.sizes import parse_size

    try:
        parsed = parse_filters(filters)
        limit = parse_size(keep_storage) if keep_storage is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from error

    return Rules(
        names=_explicit_names(spec),
        filters=parsed,
        everything=everything,
        keep_storage=limit,
    )


def _warn_if_name_filter_alone(app: App, rules: Rules) -> None:
    """``--filter name=`` alone selects nothing, which reads like a bug."""
    if rules.filters.name_globs and not rules.selects_caches:
        app.warn(
            "--filter name= only narrows --all, --filter until= and "
            "--keep-storage, so no cache is deleted; add --all to delete the "
            "caches it matches (or --filter until=DURATION for those unused "
            "that long)"
        )


def _explicit_names(spec: S3Spec | LocalSpec) -> tuple[str, ...]:
    """The caches the flag string names itself: none when it left the default."""
    if spec.type == "local":
        return (spec.tag,) if spec.tag_given else ()
    return spec.names if spec.names_given else ()


def _grace(spec: S3Spec | LocalSpec, text: str | None) -> timedelta:
    from s3cache_cli.spec import parse_go_duration

    if text is None:
        if spec.type == "local":
            return LOCAL_GRACE
        return spec.touch_refresh + EXPORT_MARGIN

    try:
        grace = parse_go_duration(text)
    except ValueError as error:
        hint = "a Go duration such as 25h or 90m"
        raise UsageError(f"--grace {text}: {error}", hint=hint) from None
    if grace < timedelta(0):
        raise UsageError(f"--grace {text} is negative")
    return grace


def _open_store(app: App, spec: S3Spec | LocalSpec) -> CacheStore:
    if spec.type == "local":
        from s3cache_cli.stores.local import LocalStore

        return LocalStore(spec.path)

    from s3cache_cli.s3.client import connect
    from s3cache_cli.stores.s3 import S3Store

    conn = connect(spec)
    app.describe_connection(conn)
    return S3Store(conn)


def _confirmed(app: App, pruner: Pruner, choice: CacheChoice, store: Any) -> bool:
    from s3cache_cli.ui.units import format_bytes

    preview = pruner.preview(choice)
    names = ", ".join(cache.name for cache in choice.delete) or "none"
    app.info(f"caches to delete from {store.description}: {names}")
    app.info(
        f"blobs to delete: {preview.deleted} ({format_bytes(preview.deleted_bytes)}); "
        f"{preview.referenced} still named by the caches kept"
    )
    return _ask("Delete them?")


def _ask(question: str) -> bool:
    """A yes/no question on stderr; end of input (Ctrl-D) answers no, and
    Ctrl-C is the interruption it is anywhere else."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort as abort:
        # click turns both into Abort, raised while handling the original.
        click.echo(err=True)  # nothing else ends the question's line
        if isinstance(abort.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        return False


def _show(
    app: App, report: PruneReport, *, store: str, grace: timedelta, rules: Rules
) -> None:
    from s3cache_cli.prune.summary import report_document, report_lines
    from s3cache_cli.ui.units import format_bytes

    for entry in report.caches_changed:
        app.warn(f"{entry.location} changed while prune ran; kept")
    if report.over_limit:
        app.warn(
            f"the caches kept still name {format_bytes(report.kept_bytes)}, more "
            f"than --keep-storage allows; --filter name= kept the others"
        )

    document = report_document(
        report, store=store, grace=grace, keep_storage=rules.keep_storage
    )
    lines = report_lines(report, grace=grace)
    app.result(document, lambda app: [app.print(line) for line in lines])


def _raise_for_missing(report: PruneReport, store: str) -> None:
    from s3cache_cli.ui.units import format_names

    if report.missing:
        caches = "caches" if len(report.missing) > 1 else "cache"
        names = ", ".join(repr(name) for name in report.missing)
        rest = "planned (--dry-run)" if report.dry_run else "done"
        raise CacheNotFound(
            f"no {caches} named {names} in {store}; the rest of the prune was {rest}",
            hint=f"caches there now: {format_names(report.caches_present)}",
        )


class _Events:
    """Each cache and blob as it goes: on stdout for a dry run, else with -v."""

    def __init__(self, app: App, *, dry_run: bool) -> None:
        self.app = app
        self.dry_run = dry_run

    def _say(self, line: str) -> None:
        if self.dry_run and not self.app.json_output:
            self.app.print(line)
        else:
            self.app.detail(line)

    def cache_deleted(self, entry: CacheEntry) -> None:
        verb = "would delete" if self.dry_run else "deleted"
        self._say(f"{verb} the cache {entry.name} ({entry.location})")

    def cache_changed(self, entry: CacheEntry) -> None:
        self.app.detail(f"{entry.location} changed since prune read it; kept")

    def blob_deleted(self, blob: BlobEntry) -> None:
        from s3cache_cli.prune.summary import blob_line

        self._say(blob_line(blob, dry_run=self.dry_run))

    def upload_aborted(self, upload: Any) -> None:
        from s3cache_cli.prune.summary import upload_line

        self._say(upload_line(upload, dry_run=self.dry_run))
