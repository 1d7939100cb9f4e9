"""`s3cache prune`."""

from __future__ import annotations

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import common_options


@click.command("prune", hidden=True)
@common_options
def prune(app: App) -> None:
    """Not available yet."""
    app.error("'s3cache prune' is not available in this version")
    raise SystemExit(2)
