"""Write small BuildKit-shaped local caches with blobs of our choosing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

CREATED = "2026-12-04T15:05:39.534990341Z"
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(root: Path, data: bytes) -> dict:
    digest = digest_of(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def config_for(layer_digests: list[str]) -> dict:
    """A chain of layers, one record per layer, each record built on the last."""
    layers = []
    records = []
    for index, blob in enumerate(layer_digests):
        layer = {"blob": blob, "parent": index - 1}
        if index == 1:
            del layer["parent"]  # Go leaves out a parent of 0
        layers.append(layer)
        record = {
            "digest": digest_of(f"record {index}".encode()),
            "layers": [{"layer": index, "createdAt": CREATED}],
        }
        if index:
            record["inputs"] = [[{"selector": "", "link": index - 1}]]
        records.append(record)
    return {"layers": layers, "records": records}


def write_local_cache(root: Path, blobs: list[bytes], *, tag: str = "latest") -> Path:
    """An OCI layout as BuildKit's type=local writes it (image index form)."""
    root.mkdir(parents=True, exist_ok=True)
    descriptors = []
    for data in blobs:
        written = write_blob(root, data)
        descriptors.append(
            {
                "mediaType": GZIP_LAYER,
                **written,
                "annotations": {
                    "buildkit/createdat": CREATED,
                    "containerd.io/uncompressed": digest_of(b"diff" + data[:64]),
                },
            }
        )
    config = json.dumps(config_for([d["digest"] for d in descriptors])).encode()
    descriptors.append({"mediaType": CACHE_CONFIG, **write_blob(root, config)})
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    ).encode()
    top = {"mediaType": OCI_INDEX, **write_blob(root, index)}
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [top]})
    )
    return root


def blob_path(root: Path, data: bytes) -> Path:
    return root / "blobs" / "sha256" / digest_of(data).split(":")[1]
