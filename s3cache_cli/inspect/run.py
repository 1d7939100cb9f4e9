"""One inspect run over a store: read, select, measure the storage, check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from s3cache_cli.inspect.check import check_blobs
from s3cache_cli.inspect.report import read_inventory, storage_report
from s3cache_cli.inspect.result import InspectResult

if TYPE_CHECKING:
    from s3cache_cli.s3.transfer import TransferListener
    from s3cache_cli.stores.base import CacheStore


@dataclass(frozen=True)
class InspectRequest:
    names: tuple[str, ...] | None  # None: every cache, and the storage
    check: bool = False
    deep: bool = False
    parallelism: int = 4


def run_inspect(
    store: CacheStore,
    request: InspectRequest,
    *,
    spec: dict[str, Any],
    listener: TransferListener | None = None,
) -> InspectResult:
    inventory = read_inventory(store, parallelism=request.parallelism)
    names = request.names
    shown = inventory if names is None else inventory.select(names)

    storage = storage_report(store, inventory) if names is None else None
    check = None
    if request.check:
        check = check_blobs(
            store,
            shown.caches,
            deep=request.deep,
            parallelism=request.parallelism,
            listener=listener,
        )

    return InspectResult(
        location=store.description,
        spec=spec,
        inventory=inventory,
        shown=shown,
        named=names is not None,
        missing=inventory.missing(names) if names is not None else (),
        storage=storage,
        check=check,
        now=datetime.now(UTC),
    )


def problems_summary(result: InspectResult) -> Sequence[str]:
    """What makes ``--check`` fail: damaged blobs and invalid caches."""
    lines = []
    if result.check is not None and result.check.problems:
        count = len(result.check.problems)
        lines.append(f"{count} of {result.check.blobs} blobs are missing or damaged")
    if result.check is not None and result.shown.invalid:
        names = ", ".join(cache.name for cache in result.shown.invalid)
        lines.append(f"invalid caches: {names}")
    return lines
