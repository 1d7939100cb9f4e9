"""`s3cache export`."""

from __future__ import annotations

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import common_options


@click.command("export", hidden=True)
@common_options
def export(app: App) -> None:
    """Not available yet."""
    app.error("'s3cache export' is not available in this version")
    raise SystemExit(2)
