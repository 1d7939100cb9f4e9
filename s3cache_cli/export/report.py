"""What an export did (or would do), as one value for the JSON and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from s3cache_cli.export.plan import Action, ExportPlan

if TYPE_CHECKING:
    from s3cache_cli.export.run import TransferOutcome


@dataclass(frozen=True)
class ExportResult:
    source: str
    destination: str
    transfer_kind: str  # upload, server-side copy or stream copy
    plan: ExportPlan
    manifests: tuple[str, ...]
    seconds: float  # the whole export, from reading the source to the manifests
    outcome: TransferOutcome | None  # None for a dry run

    @property
    def dry_run(self) -> bool:
        return self.outcome is None

    def to_json(self) -> dict[str, Any]:
        outcome = self.outcome
        return {
            "dry_run": self.dry_run,
            "source": self.source,
            "destination": self.destination,
            "transfer": self.transfer_kind,
            "blobs": {str(action): self.plan.count(action) for action in Action},
            "bytes": {str(action): self.plan.bytes_for(action) for action in Action},
            "bytes_sent": outcome.bytes_sent if outcome else 0,
            "seconds": round(self.seconds, 3),
            "transfer_seconds": round(outcome.seconds, 3) if outcome else 0.0,
            "bytes_per_second": round(outcome.bytes_per_second) if outcome else 0,
            "manifests": list(self.manifests),
            "blob_actions": [
                {
                    "digest": str(step.digest),
                    "size": step.size,
                    "key": step.key,
                    "action": str(step.action),
                }
                for step in self.plan.steps
            ],
        }
