"""The Markdown a command adds to a GitHub Actions step summary.

What was done, how much and how long, in a heading and a two-column table
read from the command's ``--json`` document. It is kept under
``SUMMARY_LIMIT`` bytes however many caches or warnings there are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from s3cache_cli.redact import redact
from s3cache_cli.ui.github import SUMMARY_LIMIT, Outcome
from s3cache_cli.ui.units import format_bytes, format_duration

log = logging.getLogger(__name__)

Facts = list[tuple[str, str]]
_LIST_ITEMS = 10
_WARNINGS = 20
_CUT_NOTE = "\n*(summary shortened: the rest is in the step's log)*\n"


def summary_markdown(outcome: Outcome, *, limit: int = SUMMARY_LIMIT) -> str:
    lines = [_heading(outcome), ""]
    lines += _problem_lines(outcome)
    if outcome.document is not None:
        lines += _table(facts_for(outcome.command, outcome.document))
    lines += _warning_lines(outcome.warnings)
    return _capped(redact("\n".join(lines)) + "\n", limit)


def _heading(outcome: Outcome) -> str:
    took = format_duration(outcome.seconds)
    name = f"s3cache {outcome.command}"
    if outcome.ignored_error is not None:
        return f"### ⚠️ {name}: failed, ignored (ignore-error=true) after {took}"
    if outcome.exit_code != 0:
        return f"### ❌ {name}: failed (exit {outcome.exit_code}) after {took}"
    return f"### ✅ {name}: done in {took}"


def _problem_lines(outcome: Outcome) -> list[str]:
    message = outcome.ignored_error or outcome.error
    if not message:
        return []
    return [f"> {_inline(message)}", ""]


def _table(facts: Facts) -> list[str]:
    if not facts:
        return []
    rows = [f"| {_cell(label)} | {_cell(value)} |" for label, value in facts]
    return ["| | |", "|:--|:--|", *rows, ""]


def _warning_lines(warnings: tuple[str, ...]) -> list[str]:
    if not warnings:
        return []
    shown = [f"- {_inline(warning)}" for warning in warnings[:_WARNINGS]]
    if len(warnings) > _WARNINGS:
        shown.append(f"- and {len(warnings) - _WARNINGS} more")
    return ["**Warnings**", "", *shown, ""]


def facts_for(command: str, document: Mapping[str, Any]) -> Facts:
    """The rows of the summary table: a command's own, or every top-level key."""
    reader = _COMMAND_FACTS.get(command, generic_facts)
    try:
        return reader(document)
    except (AttributeError, KeyError, TypeError, ValueError):
        # A document of another shape still deserves a summary.
        log.debug("no %s summary for this document; listing its keys", command)
        return generic_facts(document)


def generic_facts(document: Mapping[str, Any]) -> Facts:
    return [
        (key.replace("_", " "), describe(key, value))
        for key, value in document.items()
        if key != "schema_version"
    ]


def describe(key: str, value: Any) -> str:
    """A JSON value as a short phrase; sizes and durations in human units."""
    if isinstance(value, bool) or value is None:
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number(key, value)
    if isinstance(value, Mapping):
        parts = [f"{k}: {describe(f'{key}.{k}', v)}" for k, v in value.items()]
        return ", ".join(parts) or "none"
    if isinstance(value, list | tuple):
        return _listing(key, value)
    return f"`{value}`"


def _number(key: str, value: float) -> str:
    if "bytes" in key and "per_second" in key:
        return f"{format_bytes(value)}/s"
    if "bytes" in key or key.endswith("size"):
        return format_bytes(value)
    if "seconds" in key:
        return format_duration(value)
    return str(value)


def _listing(key: str, values: list[Any] | tuple[Any, ...]) -> str:
    if not values:
        return "none"
    if not all(isinstance(value, str | int | float) for value in values):
        return f"{len(values)}"
    shown = ", ".join(f"`{value}`" for value in values[:_LIST_ITEMS])
    if len(values) > _LIST_ITEMS:
        shown += f" and {len(values) - _LIST_ITEMS} more"
    return shown


def _inline(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _capped(markdown: str, limit: int) -> str:
    encoded = markdown.encode()
    if len(encoded) <= limit:
        return markdown

    room = limit - len(_CUT_NOTE.encode())
    kept = encoded[:room].decode(errors="ignore")
    return kept[: kept.rfind("\n") + 1] + _CUT_NOTE


def _rate(document: Mapping[str, Any], moved: int) -> str:
    seconds = float(document.get("seconds") or 0)
    text = f"{format_bytes(moved)} in {format_duration(seconds)}"
    speed = document.get("bytes_per_second")
    return f"{text} ({format_bytes(speed)}/s)" if moved and speed else text


def _dry(document: Mapping[str, Any], facts: Facts) -> Facts:
    if not document.get("dry_run"):
        return facts
    return [("dry run", "yes: nothing was changed"), *facts]


def export_facts(document: Mapping[str, Any]) -> Facts:
    blobs, sizes = document.get("blobs", {}), document.get("bytes", {})
    facts = [
        ("from", describe("source", document.get("source"))),
        ("to", describe("destination", document.get("destination"))),
        (
            "blobs",
            f"{blobs.get('upload', 0)} sent ({format_bytes(sizes.get('upload', 0))}), "
            f"{blobs.get('touch', 0)} touched, {blobs.get('present', 0)} already there",
        ),
        _moved(document),
        ("manifests", describe("manifests", document.get("manifests", []))),
    ]
    return _dry(document, facts)


def _moved(document: Mapping[str, Any]) -> tuple[str, str]:
    """Bytes this machine sent, or those the server copied within itself."""
    copied = int(document.get("bytes_copied") or 0)
    if copied:
        return ("copied server-side", _rate(document, copied))
    return ("sent", _rate(document, int(document.get("bytes_sent") or 0)))


def import_facts(document: Mapping[str, Any]) -> Facts:
    cache, target = document.get("cache", {}), document.get("destination", {})
    blobs, sizes = document.get("blobs", {}), document.get("bytes", {})
    facts = [
        ("cache", f"`{cache.get('name')}` from `{cache.get('url')}`"),
        ("into", f"`{target.get('path')}` (tag `{target.get('tag')}`)"),
        (
            "blobs",
            f"{blobs.get('downloaded', 0)} downloaded, "
            f"{blobs.get('present', 0)} already there, {blobs.get('total', 0)} in all",
        ),
        ("received", _rate(document, int(sizes.get("downloaded") or 0))),
    ]
    if cache.get("not_found"):
        facts.append(("not found first", describe("names", cache["not_found"])))
    return _dry(document, facts)


def inspect_facts(document: Mapping[str, Any]) -> Facts:
    caches = document.get("caches", [])
    listed = [
        f"`{cache.get('name')}` ({format_bytes(cache.get('bytes', 0))}, "
        f"{cache.get('blob_count', 0)} blobs)"
        for cache in caches[:_LIST_ITEMS]
    ]
    if len(caches) > _LIST_ITEMS:
        listed.append(f"and {len(caches) - _LIST_ITEMS} more")
    facts = [
        ("store", describe("location", document.get("store", {}).get("location"))),
        ("caches", ", ".join(listed) or "none"),
    ]
    for key in ("invalid", "missing"):
        entries = document.get(key) or []
        if entries:
            names = [
                entry.get("name", "?") if isinstance(entry, Mapping) else entry
                for entry in entries
            ]
            facts.append((key, describe(key, names)))
    storage = document.get("storage")
    if storage:
        facts.append(
            (
                "blobs",
                describe(
                    "storage",
                    {
                        "stored": storage.get("blobs", 0),
                        "bytes": storage.get("bytes", 0),
                        "unreferenced": storage.get("unreferenced_blobs", 0),
                    },
                ),
            )
        )
    return facts


def prune_facts(document: Mapping[str, Any]) -> Facts:
    deleted = [cache.get("name", "?") for cache in document.get("caches_deleted", [])]
    facts = [
        ("store", describe("store", document.get("store"))),
        ("caches deleted", describe("caches", deleted)),
        ("caches kept", str(len(document.get("caches_kept", [])))),
        (
            "blobs deleted",
            f"{document.get('blobs_deleted', 0)} "
            f"({format_bytes(document.get('bytes_freed', 0))} freed)",
        ),
        ("grace", describe("grace", document.get("grace"))),
    ]
    if document.get("uploads_aborted"):
        facts.append(("uploads aborted", str(document["uploads_aborted"])))
    return _dry(document, facts)


_COMMAND_FACTS: dict[str, Callable[[Mapping[str, Any]], Facts]] = {
    "export": export_facts,
    "import": import_facts,
    "inspect": inspect_facts,
    "prune": prune_facts,
}
