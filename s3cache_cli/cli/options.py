"""Options every command shares, and the step that turns errors into exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from s3cache_cli.cli.app import App, configure_logging
from s3cache_cli.cli.params import CacheSpec
from s3cache_cli.errors import AccessDenied, CredentialsError, ExitCode, S3CacheError
from s3cache_cli.redact import redact, register_environment_secrets
from s3cache_cli.spec import HANDLED_TYPES, Direction

F = TypeVar("F", bound=Callable[..., Any])

# Set once in a Makefile or a workflow instead of repeating the flags.
CACHE_TO_VARIABLE = "S3CACHE_CACHE_TO"
CACHE_FROM_VARIABLE = "S3CACHE_CACHE_FROM"

IGNORABLE = frozenset({ExitCode.FAILED, ExitCode.NOT_FOUND, ExitCode.CREDENTIALS})


def common_options(command: F) -> F:
    """-v/-q/--debug/--json, and an ``App`` passed to the command as ``app``."""

    @click.option(
        "-v",
        "--verbose",
        count=True,
        help="Say more: each blob, the credentials' source, the endpoint.",
    )
    @click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="Only errors on stderr: no progress, notes or warnings; the "
        "result still goes to stdout.",
    )
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
        app = make_app(verbosity, json_output=json_output)
        app.mask_secrets(kwargs.values())
        register_environment_secrets()
        configure_logging(verbosity)
        return run_reporting_errors(
            app, lambda: command(*args, app=app, **kwargs), debug
        )

    return wrapper  # type: ignore[return-value]


def cache_to_option(
    *names: str,
    help: str,
    allowed_types: Collection[str] = HANDLED_TYPES,
    environment: bool = True,
    advice: Mapping[str, str] | None = None,
    **attributes: Any,
) -> Callable[[F], F]:
    """``--cache-to SPEC``; where it names the S3 cache, ``$S3CACHE_CACHE_TO``
    is its default (``environment=False`` for a local or destructive use).
    ``advice`` words refusals for the command, as ``parse_cache_spec`` says."""
    variable = CACHE_TO_VARIABLE if environment else None
    spec_type = CacheSpec("to", allowed_types=allowed_types, advice=advice)
    return _spec_option("to", names, help, spec_type, variable, attributes)


def cache_from_option(
    *names: str,
    help: str,
    allowed_types: Collection[str] = HANDLED_TYPES,
    environment: bool = True,
    advice: Mapping[str, str] | None = None,
    **attributes: Any,
) -> Callable[[F], F]:
    """``--cache-from SPEC``, defaulting to ``$S3CACHE_CACHE_FROM`` likewise."""
    variable = CACHE_FROM_VARIABLE if environment else None
    spec_type = CacheSpec("from", allowed_types=allowed_types, advice=advice)
    return _spec_option("from", names, help, spec_type, variable, attributes)


def _spec_option(
    direction: Direction,
    names: tuple[str, ...],
    help: str,
    spec_type: CacheSpec,
    variable: str | None,
    attributes: dict[str, Any],
) -> Callable[[F], F]:
    return click.option(
        f"--cache-{direction}",
        *names,
        cls=SpecOption,
        type=spec_type,
        envvar=variable,
        show_envvar=variable is not None,
        metavar="SPEC",
        help=help,
        **attributes,
    )


class SpecOption(click.Option):
    """A flag-string option whose errors blame its variable only when it was
    used, and that refuses to be repeated unless it takes several values.

    Click adds "(env var: …)" to every error about an option that shows its
    variable, even when the value was typed; that sends the user to look in
    the wrong place. And click keeps the last of a repeated single option,
    which would drop a cache the user named without a word.
    """

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        if self.multiple:
            super().add_to_parser(parser, ctx)
            return
        # Collect every occurrence so that consume_value can count them.
        parser.add_option(obj=self, opts=self.opts, dest=self.name, action="append")

    def consume_value(
        self, ctx: click.Context, opts: Mapping[str, Any]
    ) -> tuple[Any, Any]:
        given = opts.get(self.name or "")
        if not self.multiple and isinstance(given, list):
            if len(given) > 1:
                raise click.UsageError(_repeated(self.opts[0], len(given), ctx), ctx)
            opts = {**opts, self.name: given[0]}
        return super().consume_value(ctx, opts)

    def get_error_hint(self, ctx: click.Context | None) -> str:
        hint = click.Parameter.get_error_hint(self, ctx)
        variable = self.envvar if isinstance(self.envvar, str) else None
        if variable is None or ctx is None or self.name is None:
            return hint

        source = ctx.get_parameter_source(self.name)
        if source is click.core.ParameterSource.ENVIRONMENT:
            return f"{hint} (from the environment variable {variable})"
        if source in (None, click.core.ParameterSource.DEFAULT):
            return f"{hint} (or set the environment variable {variable})"
        return hint


def _repeated(flag: str, count: int, ctx: click.Context) -> str:
    return (
        f"{flag} was given {count} times, but s3cache {ctx.info_name} takes one "
        f"{flag}; run it once for each"
    )


@contextmanager
def unsigned_denials_explained(no_sign_request: bool) -> Iterator[None]:
    """With --no-sign-request, "access denied" is the bucket's policy speaking,
    not a lack of permissions in credentials that were never sent."""
    try:
        yield
    except AccessDenied as error:
        if no_sign_request:
            error.hint = (
                "the requests were unsigned (--no-sign-request), so the bucket "
                "must allow anonymous reads; without that option s3cache signs "
                "them with your AWS credentials"
            )
        raise


def given_on_command_line(name: str) -> bool:
    """Whether an option was typed rather than read from its environment variable."""
    source = click.get_current_context().get_parameter_source(name)
    return source is click.core.ParameterSource.COMMANDLINE


def make_app(verbosity: int, *, json_output: bool) -> App:
    """The App for the running command, talking to GitHub Actions when there."""
    from s3cache_cli.ui.github import Workflow

    # The runner reads workflow commands from either stream; with --json,
    # stdout must hold the JSON document alone.
    stream = sys.stderr if json_output else sys.stdout
    context = click.get_current_context(silent=True)
    return App(
        verbosity=verbosity,
        json_output=json_output,
        command=(context.info_name or "") if context else "",
        github=Workflow.detect(os.environ, stream=stream),
    )


def run_reporting_errors(app: App, body: Callable[[], Any], debug: bool) -> Any:
    """Run a command body; an ``S3CacheError`` becomes its message and exit code.

    However it ends, the App then adds its step summary (in GitHub Actions).
    """
    try:
        result = _run_reporting_errors(app, body, debug)
    except SystemExit as stop:
        app.finish(_exit_status(stop.code))
        raise
    except BaseException as error:
        app.crashed(error)
        app.finish(ExitCode.FAILED)
        raise
    app.finish(ExitCode.OK)
    return result


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _run_reporting_errors(app: App, body: Callable[[], Any], debug: bool) -> Any:
    try:
        return _permission_as_error(body)
    except S3CacheError as error:
        if debug:
            raise
        if isinstance(error, CredentialsError) and not error.hint:
            error.hint = app.credentials_used()
        message = redact(error.message)
        hint = redact(error.hint) if error.hint else None
        code = error.exit_code
        if app.ignore_error and code in IGNORABLE:
            app.error_ignored(message, hint, exit_code=code)
            sys.exit(ExitCode.OK)
        app.error(message, hint, exit_code=code)
        sys.exit(code)
    except KeyboardInterrupt:
        app.error("interrupted", exit_code=ExitCode.INTERRUPTED)
        sys.exit(ExitCode.INTERRUPTED)


def _permission_as_error(body: Callable[[], Any]) -> Any:
    """A local file or folder the user may not touch is a permission error
    (exit 4); the commands name the common cases, this names any other."""
    try:
        return body()
    except PermissionError as error:
        where = error.filename or "a local file"
        raise CredentialsError(
            f"cannot access {where}: permission denied",
            hint="check its owner and mode, or run s3cache as a user who may use it",
        ) from error


class RootGroup(click.Group):
    """The root group: a usage error in a command also reaches GitHub Actions,
    and with --json it is a JSON document on stdout.

    Click reports usage errors (a bad flag string, a missing option) before
    a command's ``App`` exists, so this is where they are seen.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        json_output = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            _report_usage_error(error, json_output=json_output)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        # Click 8.2 renamed protected_args; read the words before it clears them.
        protected = getattr(ctx, "_protected_args", None)
        if protected is None:
            protected = ctx.protected_args
        json_output = "--json" in [*protected, *ctx.args]
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            _report_usage_error(error, json_output=json_output)
            raise


def _report_usage_error(error: click.UsageError, *, json_output: bool) -> None:
    from s3cache_cli.ui.github import Outcome, Workflow
    from s3cache_cli.ui.summary import summary_markdown

    command = error.ctx.info_name if error.ctx and error.ctx.parent else ""
    message = redact(error.format_message())
    if json_output:
        _print_usage_document(error, command, message)

    stream = sys.stderr if json_output else sys.stdout
    workflow = Workflow.detect(os.environ, stream=stream)
    if workflow is None:
        return
    title = f"s3cache {command}".strip()
    workflow.error(message, title=title)
    outcome = Outcome(command or "", error.exit_code, seconds=0.0, error=message)
    workflow.append_summary(summary_markdown(outcome))


def _print_usage_document(error: click.UsageError, command: str, message: str) -> None:
    from s3cache_cli.cli.app import Failure, write_json

    path = f"s3cache {command}" if command else "s3cache"
    failure = Failure(message, f"see '{path} --help'", error.exit_code)
    document = {"command": command or None, "error": failure.to_json()}
    write_json(sys.stdout, document)
