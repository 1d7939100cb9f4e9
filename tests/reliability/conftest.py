"""Fixtures for the reliability tests: a fault proxy, small parts, short timeouts,
and a CLI runner that fails a test on any traceback or secret in the output."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from devtools.seaweed import ACCESS_KEY, SECRET_KEY
from tests.faults.proxy import FaultProxy
from tests.reliability.dataset import (
    DOWNLOAD_PART_SIZE,
    DOWNLOAD_THRESHOLD,
    PART_SIZE,
)

# Long enough for SeaweedFS on a busy two-core machine, short enough that a
# stalled request costs a second.
READ_TIMEOUT_SECONDS = "1"
SECRETS = (SECRET_KEY,)


def with_credentials(spec: str) -> str:
    """The flag string with the server's real key and secret in it."""
    return f"{spec},access_key_id={ACCESS_KEY},secret_access_key={SECRET_KEY}"


def leaked(text: str, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.fixture
def make_proxy(s3_server) -> Iterator:
    """``make_proxy(seed)``: a fault proxy in front of the session server."""
    proxies: list[FaultProxy] = []

    def make(seed: int = 0) -> FaultProxy:
        proxy = FaultProxy(upstream=s3_server.endpoint_url, seed=seed).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def small_transfers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multipart uploads from 5 MiB, ranged downloads in 1 MiB parts."""
    from s3cache_cli.s3 import download, upload

    monkeypatch.setattr(upload, "MULTIPART_THRESHOLD", PART_SIZE)
    monkeypatch.setattr(upload, "MIN_PART_SIZE", PART_SIZE)
    settings = functools.partial(
        download.DownloadSettings,
        part_size=DOWNLOAD_PART_SIZE,
        multipart_threshold=DOWNLOAD_THRESHOLD,
    )
    monkeypatch.setattr(download, "DownloadSettings", settings)


@pytest.fixture
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """s3cache's retries, every one of them, without the pauses between:
    a fault that never goes away then fails a run in a second, not ten."""
    import tenacity

    monkeypatch.setattr(
        tenacity, "wait_random_exponential", lambda **_: tenacity.wait_none()
    )


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3CACHE_READ_TIMEOUT", READ_TIMEOUT_SECONDS)


@pytest.fixture
def cli(run_cli):
    """``run_cli`` that also fails on a traceback or a secret in any output."""

    def run(*args: str, secrets: tuple[str, ...] = SECRETS):
        result = run_cli(*args)
        assert not leaked(result.output, secrets), result.output
        if "--debug" not in args:
            assert "Traceback" not in result.output, result.output
        return result

    return run
