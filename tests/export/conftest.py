"""Fixtures for export tests: a record of every S3 call the CLI makes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from s3cache_cli.s3 import client as client_module


@dataclass(frozen=True)
class Call:
    operation: str
    bucket: str
    key: str | None


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)
    hooks: list[tuple[str, Callable]] = field(default_factory=list)

    def operations(self, *, key_prefix: str = "") -> list[str]:
        return [
            call.operation
            for call in self.calls
            if (call.key or "").startswith(key_prefix)
        ]

    def count(self, operation: str, *, key_prefix: str = "") -> int:
        return self.operations(key_prefix=key_prefix).count(operation)

    def on(self, event: str, handler: Callable) -> None:
        """Register ``handler`` for a botocore event on every client made later."""
        self.hooks.append((event, handler))


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> CallLog:
    """Every S3 operation the CLI sends, in order, with its bucket and key."""
    log = CallLog()
    real_connect = client_module.connect

    def record(params: dict, model, **_: object) -> None:
        log.calls.append(Call(model.name, params.get("Bucket", ""), params.get("Key")))

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.client.meta.events.register("before-parameter-build.s3", record)
        for event, handler in log.hooks:
            conn.client.meta.events.register(event, handler)
        return conn

    monkeypatch.setattr(client_module, "connect", connect)
    return log


class RecordingListener:
    """A TransferListener that keeps the running byte count and every event."""

    def __init__(self) -> None:
        self.total = 0
        self.steps: list[int] = []
        self.done: list[tuple[str, int, str]] = []

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self.planned = (blobs, total_bytes)

    def advanced(self, nbytes: int) -> None:
        self.total += nbytes
        self.steps.append(nbytes)

    def blob_done(self, name: str, size: int, action: str) -> None:
        self.done.append((name, size, action))

    def finished(self) -> None:
        pass


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


@pytest.fixture
def connection(bucket):
    """``connection(**attributes)``: an S3Connection to the test bucket."""
    from s3cache_cli.spec import parse_cache_spec

    def make(**attributes: str):
        spec = parse_cache_spec(bucket.spec(**attributes), direction="to")
        return client_module.connect(spec)  # looked up now, so s3_calls sees it

    return make


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    """Multipart from 5 MiB in 5 MiB parts (the smallest part S3 accepts)."""
    from s3cache_cli.s3 import upload

    size = 5 * 1024 * 1024
    monkeypatch.setattr(upload, "MULTIPART_THRESHOLD", size)
    monkeypatch.setattr(upload, "MIN_PART_SIZE", size)
    return size


def pending_uploads(bucket) -> list[dict]:
    response = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    return response.get("Uploads", [])


@pytest.fixture
def fault_proxy(s3_server):
    """A fault-injecting proxy in front of the test server, no rules yet."""
    from tests.faults.proxy import FaultProxy

    with FaultProxy(upstream=s3_server.endpoint_url, seed=7) as proxy:
        yield proxy
