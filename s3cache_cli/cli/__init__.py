"""The ``s3cache`` command: the root group, and where errors become exit codes."""

from __future__ import annotations

import sys

import click

from s3cache_cli import __version__
from s3cache_cli.cli.app import interrupt_on_termination
from s3cache_cli.cli.export import export
from s3cache_cli.cli.import_ import import_
from s3cache_cli.cli.inspect import inspect
from s3cache_cli.cli.options import RootGroup
from s3cache_cli.cli.prune import prune
from s3cache_cli.cli.shells import register as register_shell_completion
from s3cache_cli.errors import ExitCode


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="s3cache")
def cli() -> None:
    """Move, inspect and prune Docker BuildKit build caches kept in S3.

    s3cache reads and writes the bucket layout of BuildKit's type=s3 cache
    and takes the same --cache-to/--cache-from strings as docker buildx.
    """


cli.add_command(export)
cli.add_command(import_)
cli.add_command(inspect)
cli.add_command(prune)
register_shell_completion()


def main() -> None:
    interrupt_on_termination()
    try:
        cli.main(prog_name="s3cache", standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
