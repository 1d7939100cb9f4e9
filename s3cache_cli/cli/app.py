"""The one object that writes for the user.

Results go to stdout (a table, plain text, or one JSON document with
``--json``); progress, warnings and errors go to stderr. Library modules never
print: they log at debug level or raise ``S3CacheError``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

JSON_SCHEMA_VERSION = 1


@dataclass
class App:
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose (-v), 2 debug
    json_output: bool = False
    # Set by a command whose flag string says ignore-error=true: failures
    # (exit 1, 3, 4) then become a warning and exit 0; usage errors never do.
    ignore_error: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _err_console: Console | None = field(default=None, init=False, repr=False)
    _out_console: Console | None = field(default=None, init=False, repr=False)

    @property
    def interactive(self) -> bool:
        """Stdin and stderr are both terminals: only then may we ask a question."""
        return sys.stdin.isatty() and self.stderr.isatty()

    @property
    def plain_terminal(self) -> bool:
        """TERM=dumb: a terminal that cannot redraw a progress bar."""
        return os.environ.get("TERM") == "dumb"

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            self._err_console = _make_console(self.stderr)
        return self._err_console

    @property
    def out_console(self) -> Console:
        if self._out_console is None:
            self._out_console = _make_console(self.stdout)
        return self._out_console

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self._write_err(message)

    def detail(self, message: str) -> None:
        """Shown with -v: each blob, the credential source, the keys written."""
        if self.verbosity >= 1:
            self._write_err(message)

    def warn(self, message: str) -> None:
        if self.verbosity >= 0:
            self._write_err(f"warning: {message}")

    def error(self, message: str, hint: str | None = None) -> None:
        self._write_err(f"error: {message}")
        if hint:
            self._write_err(f"hint: {hint}")

    def result(self, document: dict[str, Any], render: Callable[[App], None]) -> None:
        """Print a command's result: the JSON document, or its human rendering."""
        if self.json_output:
            payload = {"schema_version": JSON_SCHEMA_VERSION, **document}
            self.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
            self.stdout.flush()
        else:
            render(self)

    def print(self, text: str = "") -> None:
        """A plain line of the human result, on stdout."""
        self.stdout.write(text + "\n")

    def _write_err(self, message: str) -> None:
        self.stderr.write(message + "\n")
        self.stderr.flush()


def _make_console(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(
        file=stream,
        markup=False,
        emoji=False,
        highlight=False,
        no_color="NO_COLOR" in os.environ or None,
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
    level = logging.DEBUG if verbosity >= 2 else logging.NOTSET
    for name in ("s3cache_cli", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(level)
