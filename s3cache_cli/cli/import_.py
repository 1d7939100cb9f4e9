"""`s3cache import`."""

from __future__ import annotations

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import common_options


@click.command("import", hidden=True)
@common_options
def import_(app: App) -> None:
    """Not available yet."""
    app.error("'s3cache import' is not available in this version")
    raise SystemExit(2)
