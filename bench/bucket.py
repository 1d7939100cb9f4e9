"""Untimed work on the benchmark's buckets: seeding, listing, emptying.

This goes through boto3 straight to the loopback server, outside any
measurement, so it must never stand in for a tool under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import datasets
from bench.datasets import Dataset
from bench.peers import CACHE_NAME, Location

SEED_WORKERS = 4
DELETE_BATCH = 1000


def blob_key(location: Location, digest: str) -> str:
    return f"{location.prefix}blobs/{digest}"


def manifest_key(location: Location) -> str:
    return f"{location.prefix}manifests/{CACHE_NAME}"


def files_of(location: Location) -> Location:
    """Where a seeded dataset keeps its blob files under their own names."""
    return Location(location.bucket, f"{location.prefix}files/")


def seed(client: Any, dataset: Dataset, location: Location) -> None:
    """Put the dataset in S3 twice: as BuildKit's cache layout, and as files.

    ``blobs/`` and ``manifests/bench`` are what ``s3cache import`` reads;
    ``files/`` holds every file of ``blobs/sha256`` under its own name, which
    the other tools download, and compare against when they sync.
    """
    files = files_of(location)
    uploads = [(path, files.prefix + path.name) for path in dataset.blob_files()]
    uploads += [
        (dataset.blob_path(layer.digest), blob_key(location, layer.digest))
        for layer in dataset.layers
    ]
    with ThreadPoolExecutor(max_workers=SEED_WORKERS) as pool:
        futures = [
            pool.submit(_upload, client, location.bucket, path, key)
            for path, key in uploads
        ]
    for future in futures:
        future.result()

    client.put_object(
        Bucket=location.bucket,
        Key=manifest_key(location),
        Body=datasets.s3_manifest(dataset),
        ContentType="application/octet-stream",
    )


def _upload(client: Any, bucket: str, path: Path, key: str) -> None:
    extra = {"ContentType": "application/octet-stream"}
    client.upload_file(str(path), bucket, key, ExtraArgs=extra)


def list_keys(client: Any, location: Location) -> dict[str, int]:
    """Every key under ``location`` with its size."""
    return {item["Key"]: item["Size"] for item in _listing(client, location)}


def last_modified(client: Any, location: Location) -> dict[str, datetime]:
    """Every key under ``location`` with the time it was last written."""
    return {item["Key"]: item["LastModified"] for item in _listing(client, location)}


def _listing(client: Any, location: Location) -> Iterator[dict[str, Any]]:
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=location.prefix
    )
    for page in pages:
        yield from page.get("Contents", [])


def delete_prefix(client: Any, location: Location) -> None:
    keys = list(list_keys(client, location))
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
        client.delete_objects(Bucket=location.bucket, Delete={"Objects": batch})


def remove_bucket(client: Any, bucket: str) -> None:
    delete_prefix(client, Location(bucket, ""))
    client.delete_bucket(Bucket=bucket)
