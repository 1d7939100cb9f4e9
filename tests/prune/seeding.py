"""Small caches in a test bucket, with blobs the prune tests name by label."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

CREATED = "2026-12-04T15:06:44.172243155Z"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cache_config(blobs: list[bytes]) -> bytes:
    """A valid S3-form cache config: the blobs as one chain of layers."""
    layers = [
        {
            "blob": sha256(body),
            "parent": index - 1,
            "annotations": {
                "mediaType": LAYER_TYPE,
                "diffID": sha256(b"diff:" + body),
                "size": len(body),
                "createdAt": CREATED,
            },
        }
        for index, body in enumerate(blobs)
    ]
    records = [
        {
            "digest": sha256(b"record:" + body),
            "layers": [{"layer": index, "createdAt": CREATED}],
        }
        for index, body in enumerate(blobs)
    ]
    return json.dumps({"layers": layers, "records": records}).encode()


@dataclass
class SeededBucket:
    """A bucket where tests write blobs by label and caches naming them."""

    bucket: object
    bodies: dict[str, bytes] = field(default_factory=dict)

    def spec(self, **attributes: str) -> str:
        return self.bucket.spec(**attributes)

    def body(self, label: str, size: int = 64) -> bytes:
        if label not in self.bodies:
            self.bodies[label] = (label.encode() * size)[:size]
        return self.bodies[label]

    def blob_key(self, label: str) -> str:
        return "blobs/" + sha256(self.body(label))

    def put_blob(self, label: str, size: int = 64) -> str:
        key = "blobs/" + sha256(self.body(label, size))
        self.bucket.put(key, self.bodies[label])
        return key

    def put_cache(self, name: str, *labels: str) -> None:
        for label in labels:
            self.put_blob(label)
        config = cache_config([self.body(label) for label in labels])
        self.bucket.put(f"manifests/{name}", config)

    def stored(self) -> list[str]:
        return self.bucket.keys()

    def blob_keys(self, *labels: str) -> list[str]:
        return sorted(self.blob_key(label) for label in labels)

    def uploads(self) -> list[dict]:
        response = self.bucket.client.list_multipart_uploads(Bucket=self.bucket.name)
        return response.get("Uploads", [])


# Keys prune must never delete, however old: not digests, or outside the
# two prefixes.
FOREIGN_KEYS = (
    "blobs/README",
    "blobs/sha256:abc",
    "blobs/sha256:" + "A" * 64,
    "blobs/sha256/" + "a" * 64,
    "elsewhere/sha256:" + "b" * 64,
    "blobsx/sha256:" + "c" * 64,
)
