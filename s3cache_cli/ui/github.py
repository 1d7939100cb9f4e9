"""GitHub Actions: workflow commands for the runner and a Markdown step summary.

The runner reads ``::command key=value::data`` lines from a step's stdout and
stderr. Data and property values are escaped so that a message can never end
the line early or start a command of its own. The step summary is a Markdown
file the runner shows on the run's page; GitHub refuses more than 1 MiB per
step, so s3cache writes a few kilobytes at most.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from s3cache_cli.redact import redact

log = logging.getLogger(__name__)

# What one s3cache command adds to the summary, and what the whole file may
# reach before s3cache adds nothing more (GitHub's own limit is 1 MiB).
SUMMARY_LIMIT = 16 * 1024
STEP_SUMMARY_LIMIT = 1024 * 1024 - SUMMARY_LIMIT

_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))


def escape_data(text: str) -> str:
    """The message part of a workflow command, after the second ``::``."""
    for character, escaped in _DATA_ESCAPES:
        text = text.replace(character, escaped)
    return text


def escape_property(text: str) -> str:
    """A property value such as ``title=``: also no ``:`` and no ``,``."""
    for character, escaped in _PROPERTY_ESCAPES:
        text = text.replace(character, escaped)
    return text


def format_command(
    name: str, data: str, properties: Mapping[str, str] | None = None
) -> str:
    """One workflow command line, such as ``::error title=s3cache::no bucket``."""
    listed = ",".join(
        f"{key}={escape_property(value)}" for key, value in (properties or {}).items()
    )
    head = f"{name} {listed}" if listed else name
    return f"::{head}::{escape_data(data)}"


def running_in_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True)
class Workflow:
    """The runner of one GitHub Actions step: where its commands and summary go."""

    stream: TextIO
    summary_path: Path | None = None

    @classmethod
    def detect(cls, environ: Mapping[str, str], *, stream: TextIO) -> Workflow | None:
        """A ``Workflow`` when ``GITHUB_ACTIONS=true``, else ``None``."""
        if not running_in_actions(environ):
            return None

        summary = environ.get("GITHUB_STEP_SUMMARY") or None
        return cls(stream=stream, summary_path=Path(summary) if summary else None)

    def mask(self, secrets: Iterable[str | None]) -> None:
        """Ask the runner to print ``***`` wherever these values would appear."""
        for secret in secrets:
            if secret:
                self._send(format_command("add-mask", secret))

    def error(self, message: str, *, title: str) -> None:
        self._send(format_command("error", redact(message), {"title": title}))

    def warning(self, message: str, *, title: str) -> None:
        self._send(format_command("warning", redact(message), {"title": title}))

    def append_summary(self, markdown: str) -> None:
        """Add to the step summary, unless the file is already near GitHub's limit."""
        if self.summary_path is None:
            return

        try:
            used = self.summary_path.stat().st_size
        except FileNotFoundError:
            used = 0
        if used > STEP_SUMMARY_LIMIT:
            log.debug("step summary already holds %d bytes; not adding", used)
            return
        try:
            with self.summary_path.open("a", encoding="utf-8") as summary:
                summary.write(markdown)
        except OSError as error:
            # The cache step's own work is done; a summary is not worth failing it.
            log.debug("cannot write the step summary: %s", error)

    def _send(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


@dataclass(frozen=True)
class Outcome:
    """How one command ended, as the step summary tells it."""

    command: str
    exit_code: int
    seconds: float
    document: Mapping[str, Any] | None = None
    error: str | None = None
    ignored_error: str | None = None
    warnings: tuple[str, ...] = ()
