"""The biggest blobs are fetched first, so none runs alone at the end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from s3cache_cli.s3.download import DownloadSettings, download_blobs
from tests.import_.test_download import (
    KiB,
    RecordingListener,
    conn,  # noqa: F401 (a fixture)
    job,
    put_blob,
)


def test_blobs_are_fetched_biggest_first_each_in_order(
    bucket,
    conn,  # noqa: F811
    tmp_path: Path,
) -> None:
    sizes = [3 * KiB, 700 * KiB, 10, 300 * KiB]
    blobs = [(*put_blob(bucket, os.urandom(size)), size) for size in sizes]
    requested: list[tuple[str, str | None]] = []

    def record(params: dict, **_: Any) -> None:
        requested.append((params["Key"], params.get("Range")))

    conn.client.meta.events.register("provide-client-params.s3.GetObject", record)
    settings = DownloadSettings(
        parallelism=1, part_size=256 * KiB, multipart_threshold=512 * KiB
    )

    download_blobs(
        conn,
        [job(tmp_path, key, digest, size) for key, digest, size in blobs],
        listener=RecordingListener(),
        settings=settings,
    )

    by_size = sorted(blobs, key=lambda blob: -blob[2])
    expected_keys = [by_size[0][0]] * 3 + [key for key, _, _ in by_size[1:]]
    assert [key for key, _ in requested] == expected_keys
    assert [rng for _, rng in requested[:3]] == [
        "bytes=0-262143",
        "bytes=262144-524287",
        "bytes=524288-716799",
    ]
    for _, digest, size in blobs:
        assert (tmp_path / digest.hex).stat().st_size == size
