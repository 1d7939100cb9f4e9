"""``python -m tests.reliability.child ARGS``: the s3cache CLI in a process of
its own, with the small multipart sizes of the reliability tests, so that a
test can interrupt it in the middle of a multipart upload or ranged download.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from s3cache_cli.s3 import download, upload
from tests.reliability.dataset import (
    DOWNLOAD_PART_SIZE,
    DOWNLOAD_THRESHOLD,
    PART_SIZE,
)

REPO = Path(__file__).resolve().parents[2]


def start(*args: str) -> subprocess.Popen:
    """The CLI with ``args``, started in a process of its own, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.child", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    upload.MULTIPART_THRESHOLD = PART_SIZE
    upload.MIN_PART_SIZE = PART_SIZE
    download.DownloadSettings = functools.partial(  # type: ignore[misc]
        download.DownloadSettings,
        part_size=DOWNLOAD_PART_SIZE,
        multipart_threshold=DOWNLOAD_THRESHOLD,
    )

    from s3cache_cli.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
