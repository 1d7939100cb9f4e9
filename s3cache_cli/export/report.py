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

    @property
    def server_side(self) -> bool:
        return self.transfer_kind == "server-side copy"

    @property
    def bytes_sent(self) -> int:
        """Bytes that went over this machine's network link; a server-side
        copy sends none, the server moves them itself."""
        if self.outcome is None or self.server_side:
            return 0
        return self.outcome.bytes_sent

    @property
    def bytes_copied(self) -> int:
        """Bytes the server copied within itself."""
        if self.outcome is None or not self.server_side:
            return 0
        return self.outcome.bytes_sent

    @property
    def bytes_per_second(self) -> float:
        outcome = self.outcome
        if outcome is None or outcome.seconds <= 0:
            return 0.0
        return (self.bytes_sent or self.bytes_copied) / outcome.seconds

    def to_json(self) -> dict[str, Any]:
        outcome = self.outcome
        return {
            "dry_run": self.dry_run,
            "source": self.source,
            "destination": self.destination,
            "transfer": self.transfer_kind,
            "blobs": {str(action): self.plan.count(action) for action in Action},
            "bytes": {str(action): self.plan.bytes_for(action) for action in Action},
            "bytes_sent": self.bytes_sent,
            "bytes_copied": self.bytes_copied,
            "seconds": round(self.seconds, 3),
            "transfer_seconds": round(outcome.seconds, 3) if outcome else 0.0,
            "bytes_per_second": round(self.bytes_per_second),
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
