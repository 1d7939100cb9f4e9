"""Options every command shares, and the step that turns errors into exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from s3cache_cli.cli.app import App, configure_logging
from s3cache_cli.errors import ExitCode, S3CacheError
from s3cache_cli.redact import redact, register_environment_secrets

F = TypeVar("F", bound=Callable[..., Any])

IGNORABLE = frozenset({ExitCode.FAILED, ExitCode.NOT_FOUND, ExitCode.CREDENTIALS})


def common_options(command: F) -> F:
    """-v/-q/--debug/--json, and an ``App`` passed to the command as ``app``."""

    @click.option(
        "-v",
        "--verbose",
        count=True,
        help="Say more: each blob, the credential source.",
    )
    @click.option("-q", "--quiet", is_flag=True, help="Show errors only.")
    @click.option(
        "--debug", is_flag=True, help="Show debug logs and tracebacks (secrets masked)."
    )
    @click.option(
        "--json", "json_output", is_flag=True, help="Print one JSON document on stdout."
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        verbose: int,
        quiet: bool,
        debug: bool,
        json_output: bool,
        **kwargs: Any,
    ) -> Any:
        verbosity = 2 if debug else (-1 if quiet else min(verbose, 1))
        app = App(verbosity=verbosity, json_output=json_output)
        register_environment_secrets()
        configure_logging(verbosity)
        return run_reporting_errors(
            app, lambda: command(*args, app=app, **kwargs), debug
        )

    return wrapper  # type: ignore[return-value]


def run_reporting_errors(app: App, body: Callable[[], Any], debug: bool) -> Any:
    """Run a command body; an ``S3CacheError`` becomes its message and exit code."""
    try:
        return body()
    except S3CacheError as error:
        if debug:
            raise
        message = redact(error.message)
        if app.ignore_error and error.exit_code in IGNORABLE:
            app.warn(f"{message} (ignored: ignore-error=true)")
            sys.exit(ExitCode.OK)
        app.error(message, redact(error.hint) if error.hint else None)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        app.error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
