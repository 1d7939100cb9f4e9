"""A small command built on the shared options, to drive them before and
beside the real commands: it reads --cache-to, then fails, warns or reports
as told."""

from __future__ import annotations

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import cache_from_option, cache_to_option, common_options
from s3cache_cli.errors import CacheNotFound, OperationFailed
from s3cache_cli.spec import LocalSpec, S3Spec


@click.command("probe")
@cache_to_option(help="Where.")
@cache_from_option(help="From where.")
@click.option("--fail", type=click.Choice(["failed", "not-found"]))
@click.option("--warn", "warnings", multiple=True)
@click.option("--items", type=int, default=0)
@click.option("--connect", is_flag=True, help="List the --cache-to bucket.")
@common_options
def probe(
    app: App,
    cache_to: S3Spec | LocalSpec | None,
    cache_from: S3Spec | LocalSpec | None,
    fail: str | None,
    warnings: tuple[str, ...],
    items: int,
    connect: bool,
) -> None:
    app.ignore_error = bool(cache_to and cache_to.ignore_error)
    for warning in warnings:
        app.warn(warning)
    if connect and isinstance(cache_to, S3Spec):
        _list_bucket(app, cache_to)
    if fail == "failed":
        raise OperationFailed(f"upload of {_describe(cache_to)} failed")
    if fail == "not-found":
        raise CacheNotFound("no cache named main", hint="caches there now: dev")

    document = {
        "destination": _describe(cache_to),
        "source": _describe(cache_from),
        "bytes_sent": 3 * 1024 * 1024,
        "seconds": 1.5,
        "caches": [f"cache-{number}" for number in range(items)],
    }
    app.result(document, lambda app: app.print(f"sent to {document['destination']}"))


def _describe(spec: S3Spec | LocalSpec | None) -> str:
    if spec is None:
        return "nowhere"
    if isinstance(spec, S3Spec):
        return f"s3://{spec.bucket}/{spec.prefix}"
    return str(spec.path)


def _list_bucket(app: App, spec: S3Spec) -> None:
    from s3cache_cli.s3.client import connect
    from s3cache_cli.s3.errors import translate

    conn = connect(spec)
    app.describe_connection(conn)
    try:
        conn.client.list_objects_v2(Bucket=spec.bucket, MaxKeys=1)
    except Exception as error:
        raise translate(error, bucket=spec.bucket) from error
