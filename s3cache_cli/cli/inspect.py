"""`s3cache inspect`: what caches a bucket or directory holds, and are they whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import (
    cache_from_option,
    common_options,
    unsigned_denials_explained,
)
from s3cache_cli.cli.params import report_spec_notes
from s3cache_cli.errors import CacheNotFound, OperationFailed

if TYPE_CHECKING:
    from s3cache_cli.inspect.result import InspectResult
    from s3cache_cli.spec import LocalSpec, S3Spec
    from s3cache_cli.stores.base import CacheStore

LOCAL_PARALLELISM = 4


@click.command("inspect")
@cache_from_option(
    "spec",
    allowed_types=("s3", "local"),
    required=True,
    help="The cache to read, as for docker buildx: type=s3,bucket=…,region=… "
    "or type=local,src=DIR. Without name= (tag= for a directory): every cache.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Make sure every blob the caches name is there with its size (a "
    "directory: its digest too); exit 1 if not.",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Download every blob and hash it (implies --check).",
)
@click.option(
    "--no-sign-request",
    is_flag=True,
    help="Read a public bucket without credentials.",
)
@common_options
def inspect(
    app: App,
    spec: S3Spec | LocalSpec,
    check: bool,
    deep: bool,
    no_sign_request: bool,
) -> None:
    """Show the caches in a bucket or directory: layers, records, bytes,
    which blobs they share, what no cache uses, and uploads never finished.

    \b
    Every cache under a prefix, then the storage:
      s3cache inspect --cache-from \\
        'type=s3,bucket=ci-cache,region=eu-west-1,prefix=team1/'
    Two caches in detail, every blob checked:
      s3cache inspect --check --cache-from \\
        'type=s3,bucket=ci-cache,region=eu-west-1,name=main;pr-42'
    A local cache directory, every blob hashed:
      s3cache inspect --check --cache-from 'type=local,src=/tmp/buildcache'

    Exit status: 0 fine, 1 a blob is missing or damaged or a manifest is
    invalid (with --check), 2 usage, 3 a named cache does not exist (or the
    directory), 4 credentials.
    """
    app.ignore_error = spec.ignore_error
    report_spec_notes(app, spec, flag="--cache-from")
    with unsigned_denials_explained(no_sign_request):
        _inspect(app, spec, check, deep, no_sign_request)


def _inspect(
    app: App, spec: S3Spec | LocalSpec, check: bool, deep: bool, no_sign_request: bool
) -> None:
    from s3cache_cli.inspect.render import render
    from s3cache_cli.inspect.run import InspectRequest, run_inspect
    from s3cache_cli.ui.progress import make_listener

    store, parallelism = _open_store(app, spec, no_sign_request)
    request = InspectRequest(
        names=_requested_names(spec),
        check=check or deep,
        deep=deep or spec.type == "local",
        parallelism=parallelism,
    )
    app.info(f"reading {store.description}")
    result = run_inspect(
        store, request, spec=spec.redacted(), listener=make_listener(app, "verifying")
    )

    app.result(result.to_document(), lambda app: render(result, app))
    _raise_for_outcome(app, result)


def _open_store(
    app: App, spec: S3Spec | LocalSpec, no_sign_request: bool
) -> tuple[CacheStore, int]:
    if spec.type == "local":
        from s3cache_cli.digest import parse_digest
        from s3cache_cli.stores.local import LocalStore

        if no_sign_request:
            app.warn("--no-sign-request applies to S3 only; ignored")
        digest = parse_digest(spec.digest) if spec.digest else None
        return LocalStore(spec.path, digest=digest), LOCAL_PARALLELISM

    from s3cache_cli.s3.client import connect
    from s3cache_cli.stores.s3 import S3Store

    conn = connect(spec, no_sign_request=no_sign_request)
    app.describe_connection(conn)
    return S3Store(conn), spec.upload_parallelism


def _requested_names(spec: S3Spec | LocalSpec) -> tuple[str, ...] | None:
    """The caches the flag string names, or None for every cache."""
    if spec.type == "local" and spec.digest:
        return (spec.digest,)  # it names one cache, as import reads it
    if spec.type == "local":
        return (spec.tag,) if spec.tag_given else None
    return spec.names if spec.names_given else None


def _raise_for_outcome(app: App, result: InspectResult) -> None:
    from s3cache_cli.inspect.run import problems_summary
    from s3cache_cli.ui.units import format_names

    for name in result.missing:
        app.warn(f"no cache named {name!r} in {result.location}")
    if result.missing:
        known = format_names(sorted(result.inventory.names()))
        raise CacheNotFound(
            f"{len(result.missing)} named cache(s) not found: "
            + ", ".join(result.missing),
            hint=f"caches there: {known}",
        )

    problems = problems_summary(result)
    if problems:
        raise OperationFailed("; ".join(problems))
