"""Click adapters for flag strings: a bad ``--cache-to`` is a usage error (exit 2).

The spec parser already echoes the input with carets under the fault; click
prints a parameter's error message as it is, so the carets stay aligned under
the echo on the lines after ``Error: Invalid value for '--cache-to':``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from s3cache_cli.spec import (
    HANDLED_TYPES,
    Direction,
    LocalSpec,
    S3Spec,
    SpecError,
    parse_cache_spec,
)

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from s3cache_cli.cli.app import App


class CacheSpec(click.ParamType):
    """A ``--cache-from`` or ``--cache-to`` value, read into an S3 or local spec."""

    name = "spec"

    def __init__(
        self,
        direction: Direction,
        allowed_types: Collection[str] = HANDLED_TYPES,
        advice: Mapping[str, str] | None = None,
    ) -> None:
        unknown = set(allowed_types) - set(HANDLED_TYPES)
        if unknown or not allowed_types:
            raise ValueError(f"allowed_types must be among {HANDLED_TYPES}")
        self.direction = direction
        self.allowed_types = tuple(allowed_types)
        self.advice = dict(advice or {})  # see parse_cache_spec

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> S3Spec | LocalSpec:
        if isinstance(value, S3Spec | LocalSpec):
            return value
        try:
            return parse_cache_spec(
                value,
                direction=self.direction,
                allowed_types=self.allowed_types,
                advice=self.advice,
            )
        except SpecError as error:
            self.fail(error.message, param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        """``type=s3,reg<TAB>`` -> ``type=s3,region=``: keys, types and values."""
        from click.shell_completion import CompletionItem

        from s3cache_cli.cli.completion import suggest

        suggestions = suggest(
            incomplete, direction=self.direction, allowed_types=self.allowed_types
        )
        return [
            CompletionItem(item.value, help=item.help, nospace=item.nospace)
            for item in suggestions
        ]


def complete_directory(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """A bare ``DIR`` argument: the shell offers directories itself."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir")]


def spec_from_argument(value: str, direction: Direction) -> LocalSpec:
    """A bare ``DIR`` argument as ``type=local,src=DIR`` (or ``dest=DIR``)."""
    if not value:
        key = "src" if direction == "from" else "dest"
        raise SpecError(
            f"an empty directory; give a path such as ./cache ({key}=DIR)",
            attribute=key,
        )
    return LocalSpec(path=Path(value), direction=direction)


def report_spec_notes(app: App, spec: S3Spec | LocalSpec, *, flag: str) -> None:
    """Warn once about what a flag string holds that s3cache will not use."""
    if spec.ignored:
        keys = ", ".join(spec.ignored)
        they = "they do" if len(spec.ignored) > 1 else "it does"
        app.warn(f"{flag}: {keys} ignored: {they} not apply to type={spec.type}")
    for warning in spec.warnings:
        app.warn(f"{flag}: {warning}")
