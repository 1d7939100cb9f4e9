"""A prune's outcome as a JSON document and as lines for people."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from s3cache_cli.ui.units import format_bytes

if TYPE_CHECKING:
    from s3cache_cli.prune.execute import PruneReport
    from s3cache_cli.stores.base import BlobEntry, CacheEntry, PendingUpload

SHOWN_NAMES = 20


def report_document(
    report: PruneReport, *, store: str, grace: timedelta, keep_storage: int | None
) -> dict[str, Any]:
    """The ``--json`` document; counts and names, never one entry per blob."""
    from s3cache_cli.spec import format_go_duration

    sweep = report.sweep
    return {
        "store": store,
        "dry_run": report.dry_run,
        "grace": format_go_duration(grace),
        "keep_storage": keep_storage,
        "caches_deleted": [_cache(entry) for entry in report.caches_deleted],
        "caches_changed": [entry.name for entry in report.caches_changed],
        "caches_kept": list(report.caches_kept),
        "caches_missing": list(report.missing),
        "kept_bytes": report.kept_bytes,
        "over_keep_storage": report.over_limit,
        "blobs_listed": sweep.listed,
        "blobs_referenced": sweep.referenced,
        "blobs_deleted": sweep.deleted,
        "bytes_freed": sweep.deleted_bytes,
        "blobs_kept_for_grace": sweep.grace,
        "bytes_kept_for_grace": sweep.grace_bytes,
        "uploads_aborted": report.uploads_aborted,
        "upload_bytes_aborted": report.upload_bytes,
    }


def _cache(entry: CacheEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "location": entry.location,
        "modified": entry.modified.isoformat(),
    }


def report_lines(report: PruneReport, *, grace: timedelta) -> list[str]:
    """The summary people read, in the tense that fits a dry run or not."""
    would = report.dry_run
    sweep = report.sweep
    lines = [
        _caches_line("would delete" if would else "deleted", report.caches_deleted),
        _names_line("would keep" if would else "kept", report.caches_kept),
        f"{'would delete' if would else 'deleted'} {_blobs(sweep.deleted)}, "
        f"{'would free' if would else 'freed'} {format_bytes(sweep.deleted_bytes)}",
    ]
    if sweep.grace:
        lines.append(
            f"{'would keep' if would else 'kept'} {_blobs(sweep.grace)} "
            f"({format_bytes(sweep.grace_bytes)}) that "
            f"no cache names, modified within the {_grace(grace)} grace period"
        )
    if report.uploads_aborted:
        verb = "would abort" if would else "aborted"
        lines.append(f"{verb} {_count(report.uploads_aborted, 'unfinished upload')}")

    return lines


def _caches_line(verb: str, entries: tuple[CacheEntry, ...]) -> str:
    return _names_line(verb, tuple(entry.name for entry in entries))


def _names_line(verb: str, names: tuple[str, ...]) -> str:
    counted = _count(len(names), "cache")
    if not names:
        return f"{verb} {counted}"

    shown = ", ".join(names[:SHOWN_NAMES])
    more = f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
    return f"{verb} {counted}: {shown}{more}"


def blob_line(blob: BlobEntry, *, dry_run: bool) -> str:
    verb = "would delete" if dry_run else "deleted"
    return f"{verb} {blob.location} ({format_bytes(blob.size)})"


def upload_line(upload: PendingUpload, *, dry_run: bool) -> str:
    verb = "would abort" if dry_run else "aborted"
    started = upload.started.isoformat(timespec="seconds")
    return f"{verb} the upload of {upload.location} started {started}"


def _blobs(count: int) -> str:
    return _count(count, "blob")


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _grace(grace: timedelta) -> str:
    from s3cache_cli.spec import format_go_duration

    return format_go_duration(grace)
