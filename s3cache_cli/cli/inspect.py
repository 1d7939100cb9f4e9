"""`s3cache inspect`."""

from __future__ import annotations

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import common_options


@click.command("inspect", hidden=True)
@common_options
def inspect(app: App) -> None:
    """Not available yet."""
    app.error("'s3cache inspect' is not available in this version")
    raise SystemExit(2)
