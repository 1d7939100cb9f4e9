"""The human form of an inspect result: tables on stdout.

Without names: one line per cache, then the storage. With names: each cache
in detail, layer by layer. Then the invalid caches and the check, if any.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from s3cache_cli.inspect.report import layer_sharers, sharing
from s3cache_cli.inspect.result import age_seconds, form_of
from s3cache_cli.ui.tables import Column, Table, show_fields, show_table
from s3cache_cli.ui.units import format_bytes, format_duration

if TYPE_CHECKING:
    from s3cache_cli.cli.app import App
    from s3cache_cli.inspect.check import CheckReport
    from s3cache_cli.inspect.report import CacheReport, StorageReport
    from s3cache_cli.inspect.result import InspectResult


Section = Callable[["App"], None]


def render(result: InspectResult, app: App) -> None:
    """Every section that has something to say, one blank line between them."""
    for number, section in enumerate(_sections(result)):
        if number:
            app.print()
        section(app)


def _sections(result: InspectResult) -> list[Section]:
    sections: list[Section] = []
    if result.named:
        sections += [_detail_section(result, cache) for cache in result.shown.caches]
    elif result.shown.caches or not result.shown.invalid:
        sections.append(lambda app: _overview(result, app))
    if result.shown.invalid:
        sections.append(lambda app: _invalid(result, app))
    if result.storage is not None:
        storage = result.storage
        sections.append(lambda app: _storage(result, storage, app))
    if result.check is not None:
        check = result.check
        sections.append(lambda app: _check(check, app))
    return sections


def _detail_section(result: InspectResult, cache: CacheReport) -> Section:
    return lambda app: _cache_detail(result, cache, app)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def exact_bytes(count: int) -> str:
    """``1,614,690 bytes (1.5 MiB)``: exact, and readable at a glance."""
    return f"{count:,} bytes ({format_bytes(count)})"


def when(moment: datetime, now: datetime) -> str:
    return f"{utc(moment)} ({format_duration(age_seconds(moment, now))} ago)"


def _overview(result: InspectResult, app: App) -> None:
    caches = result.shown.caches
    local = any(cache.entry.media_type for cache in caches)
    columns = [Column("NAME"), *([Column("FORM")] if local else [])]
    columns += [Column("LAST MODIFIED"), Column("AGE")]
    columns += [Column(h, numeric=True) for h in ("LAYERS", "RECORDS", "BYTES")]
    table = Table(f"Caches in {result.location}", columns)
    for cache in caches:
        table.add(*_overview_row(result, cache, local))

    if caches:
        show_table(app, table)
    else:
        app.print(f"No caches in {result.location}")


def _overview_row(result: InspectResult, cache: CacheReport, local: bool) -> list[str]:
    entry = cache.entry
    age = format_duration(age_seconds(entry.modified, result.now))
    form = [_form(entry.media_type)] if local else []
    return [
        cache.name,
        *form,
        utc(entry.modified),
        age,
        str(len(cache.layers)),
        str(cache.records),
        f"{cache.total_bytes:,}",
    ]


def _form(media_type: str | None) -> str:
    form = form_of(media_type) or "-"
    return f"{form} (Docker)" if media_type and "docker" in media_type else form


def _cache_detail(result: InspectResult, cache: CacheReport, app: App) -> None:
    others = result.others(cache)
    fields = [
        ("location", cache.entry.location),
        ("last modified", when(cache.entry.modified, result.now)),
        ("layers", str(len(cache.layers))),
        ("records", str(cache.records)),
        ("bytes", exact_bytes(cache.total_bytes)),
    ]
    if cache.entry.media_type:
        form = f"{form_of(cache.entry.media_type)} ({cache.entry.media_type})"
        fields.insert(1, ("form", form))
    fields += [("shares", _shares(cache, others))]
    show_fields(app, f"Cache {cache.name}", fields)
    app.print()
    show_table(app, _layer_table(cache, others))
    if cache.own:
        app.print()
        show_table(app, _own_table(cache))


def _shares(cache: CacheReport, others: tuple[CacheReport, ...]) -> str:
    shared = sharing(cache, others)
    if not shared:
        return "no blobs with other caches"
    return "; ".join(
        f"{s.blobs} blobs ({format_bytes(s.bytes)}) with {s.other}" for s in shared
    )


def _layer_table(cache: CacheReport, others: tuple[CacheReport, ...]) -> Table:
    columns = [Column("DIGEST"), Column("MEDIA TYPE"), Column("SIZE", numeric=True)]
    columns += [Column("CREATED"), Column("SHARED WITH")]
    table = Table(f"Layers of {cache.name}", columns)
    for row in cache.layers:
        table.add(
            str(row.digest),
            row.media_type or "-",
            "-" if row.size is None else f"{row.size:,}",
            row.created or "-",
            ", ".join(layer_sharers(row.digest, cache, others)) or "-",
        )
    return table


def _own_table(cache: CacheReport) -> Table:
    columns = [Column("DIGEST"), Column("MEDIA TYPE"), Column("SIZE", numeric=True)]
    table = Table(f"Manifest and config of {cache.name}", columns)
    for blob in cache.own:
        table.add(str(blob.digest), blob.media_type, f"{blob.size:,}")
    return table


def _invalid(result: InspectResult, app: App) -> None:
    if not result.shown.invalid:
        return

    table = Table("Invalid caches", [Column("NAME"), Column("REASON")])
    for cache in result.shown.invalid:
        table.add(cache.name, cache.reason)
    show_table(app, table)


def _storage(result: InspectResult, storage: StorageReport, app: App) -> None:
    fields = [
        ("blobs", f"{storage.blobs}, {exact_bytes(storage.bytes)}"),
        (
            "not referenced",
            f"{storage.unreferenced}, {exact_bytes(storage.unreferenced_bytes)}",
        ),
    ]
    if storage.absent:
        fields.append(("named but absent", _digests(storage.absent)))
    if storage.foreign:
        fields.append(("not a digest (left alone)", ", ".join(storage.foreign)))
    fields.append(("incomplete uploads", _pending(result, storage)))
    show_fields(app, f"Storage in {result.location}", fields)


def _pending(result: InspectResult, storage: StorageReport) -> str:
    if not storage.pending:
        return "none"
    oldest = format_duration(age_seconds(storage.pending[0].started, result.now))
    total = sum(upload.size for upload in storage.pending)
    uploads = ", ".join(upload.location for upload in storage.pending)
    return (
        f"{len(storage.pending)}, {exact_bytes(total)}, oldest started {oldest} "
        f"ago: {uploads}"
    )


def _digests(digests: tuple[object, ...]) -> str:
    return f"{len(digests)}: " + ", ".join(str(d) for d in digests)


def _check(check: CheckReport, app: App) -> None:
    how = "read and hashed" if check.deep else "checked with HEAD"
    app.print(f"Check: {check.blobs} blobs, {exact_bytes(check.bytes)}, {how}")
    if check.ok:
        app.print("  every blob is present" + (" and whole" if check.deep else ""))
        return

    table = Table(
        "Problems",
        [Column("PROBLEM"), Column("DIGEST"), Column("DETAIL"), Column("CACHES")],
    )
    for problem in check.problems:
        table.add(
            problem.kind, str(problem.digest), problem.detail, ", ".join(problem.caches)
        )
    show_table(app, table)
