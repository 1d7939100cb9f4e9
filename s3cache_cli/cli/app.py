"""The one object that writes for the user.

Results go to stdout (a table, plain text, or one JSON document with
``--json``); progress, warnings and errors go to stderr. Library modules never
print: they log at debug level or raise ``S3CacheError``. In GitHub Actions
the same errors and warnings also reach the runner as workflow commands, and
each command ends with a step summary.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from s3cache_cli.s3.client import S3Connection
    from s3cache_cli.ui.github import Workflow

JSON_SCHEMA_VERSION = 1
_STYLES = {"error": "bold red", "warning": "yellow", "hint": "cyan"}


@dataclass
class App:
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose (-v), 2 debug
    json_output: bool = False
    # Set by a command whose flag string says ignore-error=true: failures
    # (exit 1, 3, 4) then become a warning and exit 0; usage errors never do.
    ignore_error: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    command: str = ""
    github: Workflow | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    started: float = field(default_factory=time.monotonic)
    # While a progress display redraws itself, lines go through its console
    # so that they appear above it instead of through it.
    live_output: Console | None = field(default=None, init=False, repr=False)
    _err_console: Console | None = field(default=None, init=False, repr=False)
    _out_console: Console | None = field(default=None, init=False, repr=False)
    _record: _Record = field(default_factory=lambda: _Record(), init=False)
    # "s3://bucket (endpoint)" -> where its credentials came from
    _credential_sources: dict[str, str] = field(default_factory=dict, init=False)

    @property
    def interactive(self) -> bool:
        """Stdin and stderr are both terminals: only then may we ask a question."""
        return sys.stdin.isatty() and self.stderr.isatty()

    @property
    def plain_terminal(self) -> bool:
        """TERM=dumb: a terminal that cannot redraw a progress bar."""
        return self.environ.get("TERM") == "dumb"

    @property
    def live_display(self) -> bool:
        """A progress bar may redraw itself in place on stderr."""
        return _isatty(self.stderr) and not self.plain_terminal

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            self._err_console = _make_console(self.stderr, self.environ)
        return self._err_console

    @property
    def out_console(self) -> Console:
        if self._out_console is None:
            self._out_console = _make_console(self.stdout, self.environ)
        return self._out_console

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self._write_err(message)

    def detail(self, message: str) -> None:
        """Shown with -v: each blob, the credential source, the keys written."""
        if self.verbosity >= 1:
            self._write_err(message)

    def describe_connection(self, conn: S3Connection) -> None:
        """With -v: where the credentials for a bucket came from, and its endpoint.

        Kept for ``credentials_used``: a refusal names them without -v.
        """
        self.detail(f"credentials for s3://{conn.bucket}: {conn.credential_source}")
        self.detail(f"endpoint for s3://{conn.bucket}: {conn.endpoint_description}")
        where = f"s3://{conn.bucket} ({conn.endpoint_description})"
        self._credential_sources[where] = conn.credential_source

    def credentials_used(self) -> str | None:
        """Where the credentials of each bucket so far came from, in one line."""
        sources = self._credential_sources
        if not sources:
            return None
        if len(sources) == 1:
            return f"the credentials came from {next(iter(sources.values()))}"
        return "the credentials came from " + "; ".join(
            f"{source} for {where}" for where, source in sources.items()
        )

    def warn(self, message: str) -> None:
        self._record.warnings.append(message)
        self._warn(message)

    def _warn(self, message: str) -> None:
        if self.github is not None:
            self.github.warning(message, title=self.title)
        if self.verbosity >= 0:
            self._write_err(message, label="warning")

    def error(
        self, message: str, hint: str | None = None, *, exit_code: int = 1
    ) -> None:
        _settle_on_failure()
        self._record.error = message
        self._record.failure = Failure(message, hint, exit_code)
        if self.github is not None:
            text = f"{message} ({hint})" if hint else message
            self.github.error(text, title=self.title)
        self._write_err(message, label="error")
        if hint:
            self._write_err(hint, label="hint")

    def error_ignored(
        self, message: str, hint: str | None = None, *, exit_code: int = 1
    ) -> None:
        """A failure that ignore-error=true turns into a warning."""
        _settle_on_failure()
        self._record.ignored_error = message
        self._record.failure = Failure(message, hint, exit_code, ignored=True)
        self._warn(f"{message} (ignored: ignore-error=true)")

    def crashed(self, error: BaseException) -> None:
        """An exception that ends the command with a traceback (any, with
        --debug); the process then exits 1."""
        if self._record.failure is not None:
            return
        message = getattr(error, "message", None)
        if message is None:
            message = f"unexpected error: {type(error).__name__}: {error}"
        hint = getattr(error, "hint", None)
        self._record.failure = Failure(message, hint, exit_code=1)

    def result(self, document: dict[str, Any], render: Callable[[App], None]) -> None:
        """A command's result: kept for --json (see ``finish``), else rendered.

        The work is done by now, so Ctrl-C is ignored from here until the
        process exits; a Ctrl-C already pending still interrupts the command,
        before any of its result is out.
        """
        _ignore_interrupts()
        self._record.document = document
        if not self.json_output:
            render(self)

    def print(self, text: str = "") -> None:
        """A plain line of the human result, on stdout."""
        self.stdout.write(text + "\n")

    @property
    def title(self) -> str:
        return f"s3cache {self.command}".strip()

    def mask_secrets(self, values: Iterable[object]) -> None:
        """Have the Actions runner mask secrets in flag strings, before any output."""
        if self.github is None:
            return
        for value in values:
            if isinstance(value, tuple | list):  # a repeated flag
                self.mask_secrets(value)
                continue
            secrets = (getattr(value, name, None) for name in _SECRET_FIELDS)
            self.github.mask(secret for secret in secrets if isinstance(secret, str))

    def finish(self, exit_code: int) -> None:
        """Print the JSON document, and add the step summary in GitHub Actions."""
        if self.json_output:
            self._print_json()
        if self.github is None:
            return
        from s3cache_cli.ui.github import Outcome
        from s3cache_cli.ui.summary import summary_markdown

        outcome = Outcome(
            command=self.command,
            exit_code=exit_code,
            seconds=time.monotonic() - self.started,
            document=self._record.document,
            error=self._record.error,
            ignored_error=self._record.ignored_error,
            warnings=tuple(self._record.warnings),
        )
        self.github.append_summary(summary_markdown(outcome))

    def _print_json(self) -> None:
        """Exactly one document, printed once the command has ended: its
        result, a failure that came after the result (inspect --check), or
        the failure alone."""
        failure = self._record.failure
        document = self._record.document
        if document is None:
            document = {"command": self.command} if failure else {}
        if failure is not None:
            document = {**document, "error": failure.to_json()}
        write_json(self.stdout, document)

    def _write_err(self, message: str, *, label: str | None = None) -> None:
        from s3cache_cli.redact import redact

        message = redact(message)
        console = self.live_output
        if console is None and (label is None or self.err_console.no_color):
            self.stderr.write(f"{label}: {message}\n" if label else message + "\n")
            self.stderr.flush()
            return
        self._write_styled(console or self.err_console, message, label)

    def _write_styled(self, console: Console, message: str, label: str | None) -> None:
        from rich.text import Text

        if label is None:
            console.print(Text(message))
        else:
            console.print(Text.assemble((f"{label}:", _STYLES[label]), " ", message))


_SECRET_FIELDS = ("secret_access_key", "session_token")


def interrupt_on_termination() -> None:
    """Treat SIGTERM as Ctrl-C: a cancelled CI job or ``docker stop`` then
    aborts multipart uploads and removes partial files as Ctrl-C does."""
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _ignore_interrupts() -> None:
    """Ignore SIGINT (and SIGTERM, where it means Ctrl-C) for the rest of the
    process, whose outcome is decided.

    Left alone, a Ctrl-C while the outcome is written, while click exits or
    while the interpreter shuts down would tear that outcome, follow it
    with a second one, or kill the process with the signal. Python raises
    a KeyboardInterrupt still pending instead of ignoring it. Only the main
    thread may set a handler, and only it is interrupted.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signal.getsignal(signal.SIGTERM) is _terminated:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _settle_on_failure() -> None:
    """Ignore SIGINT from here: the failure being reported is the outcome,
    even when a Ctrl-C is already pending."""
    while True:
        with contextlib.suppress(KeyboardInterrupt):
            _ignore_interrupts()
            return


@dataclass(frozen=True)
class Failure:
    """Why a command failed, for the ``error`` object of its JSON document."""

    message: str
    hint: str | None
    exit_code: int  # what the failure maps to, even when ignore-error hid it
    ignored: bool = False

    def to_json(self) -> dict[str, Any]:
        from s3cache_cli.redact import redact

        return {
            "message": redact(self.message),
            "hint": redact(self.hint) if self.hint else None,
            "exit_code": self.exit_code,
            "ignored": self.ignored,
        }


def write_json(stream: TextIO, document: dict[str, Any]) -> None:
    """One JSON document on ``stream``, schema version first."""
    payload = {"schema_version": JSON_SCHEMA_VERSION, **document}
    stream.write(json.dumps(payload, indent=2, default=str) + "\n")
    stream.flush()


@dataclass
class _Record:
    """What the step summary and the JSON document tell about a command's run."""

    document: dict[str, Any] | None = None
    error: str | None = None
    ignored_error: str | None = None
    failure: Failure | None = None
    warnings: list[str] = field(default_factory=list)


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """NO_COLOR turns colour off, FORCE_COLOR on (also in logs); TERM=dumb off."""
    if environ.get("NO_COLOR"):
        return False
    forced = environ.get("FORCE_COLOR")
    if forced:
        return forced.lower() not in ("0", "false")
    if environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def _make_console(stream: TextIO, environ: Mapping[str, str]) -> Console:
    from rich.console import Console

    colour = wants_colour(stream, environ)
    live = _isatty(stream) and environ.get("TERM") != "dumb"
    return Console(
        file=stream,
        markup=False,
        emoji=False,
        highlight=False,
        # Decided here rather than by rich, which reads FORCE_COLOR="" as
        # "not a terminal" and TERM=dumb as "no colour" even when forced.
        force_terminal=colour or live,
        force_interactive=live,
        no_color=not colour,
        color_system="standard" if colour and not live else "auto",
        soft_wrap=True,
    )


def configure_logging(verbosity: int) -> None:
    """Debug logs of s3cache (and botocore with --debug) on stderr, secrets masked."""
    from s3cache_cli.redact import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    # Set every time: a second command in the same process (tests, scripts)
    # must not inherit the first one's --debug.
    debug = verbosity >= 2
    logging.getLogger("s3cache_cli").setLevel(
        logging.DEBUG if debug else logging.NOTSET
    )
    # botocore warns with a traceback when a credential refresh fails, and
    # urllib3 when its pool is full; s3cache reports what matters itself.
    for name in ("botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.CRITICAL)
