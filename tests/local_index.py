"""index.json entries as BuildKit writes them, beside those s3cache writes.

s3cache adds one annotation to the entry of each tag it writes: when it wrote
it. Tests that compare its entries with BuildKit's take that one away.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WRITTEN = "org.opencontainers.image.created"


def without_written(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as BuildKit would have written it; the time must be there."""
    annotations = dict(entry["annotations"])
    assert annotations.pop(WRITTEN).endswith("Z"), entry
    return {**entry, "annotations": annotations}


def index_without_written(root: Path) -> dict[str, Any]:
    """``root``'s index.json with the time of each entry s3cache wrote removed."""
    index = json.loads((root / "index.json").read_bytes())
    entries = [
        without_written(e) if WRITTEN in e.get("annotations", {}) else e
        for e in index["manifests"]
    ]
    return {**index, "manifests": entries}
