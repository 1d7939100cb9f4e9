"""``s3cache import`` through the fault proxy: real broken connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.proxy import Fault, FaultProxy, Rule

FIXTURES = Path(__file__).parent.parent / "fixtures"
RUN_MAX_BLOBS = FIXTURES / "local" / "run-max" / "blobs" / "sha256"
BIG_LAYER = "d783e84b8a9f5205a67b32c81aff543e2f40884777923a1ef0813be3511ef427"
BIG_LAYER_PATH = rf"/blobs/sha256:{BIG_LAYER}$"


@pytest.fixture
def proxy(s3_server) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=s3_server.endpoint_url, seed=7) as running:
        yield running


@pytest.fixture
def import_via_proxy(run_cli, buildkit_s3_bucket, proxy: FaultProxy, tmp_path: Path):
    dest = tmp_path / "cache"

    def run(*args: str):
        spec = buildkit_s3_bucket.spec(name="app", endpoint_url=proxy.endpoint_url)
        result = run_cli("import", "--cache-from", spec, str(dest), *args)
        return result, dest

    return run


def same_blobs_as_buildkit(dest: Path) -> bool:
    ours = {p.name: p.read_bytes() for p in (dest / "blobs" / "sha256").iterdir()}
    theirs = {p.name: p.read_bytes() for p in RUN_MAX_BLOBS.iterdir()}
    return ours == theirs


def blob_gets(proxy: FaultProxy) -> list[int | None]:
    return [
        exchange.status
        for exchange in proxy.requests
        if exchange.method == "GET" and exchange.path.endswith(BIG_LAYER)
    ]


def test_a_body_cut_by_the_network_is_resumed(import_via_proxy, proxy) -> None:
    proxy.add_rule(Rule(Fault.CUT_BODY, method="GET", path=BIG_LAYER_PATH, nth=1))

    result, dest = import_via_proxy()

    assert result.exit_code == 0, result.output
    assert [hit.fault for hit in proxy.hits] == [Fault.CUT_BODY]
    # The first GET broke off; one ranged GET fetched the rest.
    assert blob_gets(proxy) == [200, 206]
    assert same_blobs_as_buildkit(dest)


def test_a_flipped_byte_is_caught_and_the_blob_fetched_again(
    import_via_proxy, proxy
) -> None:
    proxy.add_rule(Rule(Fault.FLIP_BYTE, method="GET", path=BIG_LAYER_PATH, nth=1))

    result, dest = import_via_proxy()

    assert result.exit_code == 0, result.output
    assert len(blob_gets(proxy)) == 2
    assert same_blobs_as_buildkit(dest)


def test_a_blob_flipped_on_every_read_fails_and_publishes_nothing(
    import_via_proxy, proxy
) -> None:
    proxy.add_rule(Rule(Fault.FLIP_BYTE, method="GET", path=BIG_LAYER_PATH))

    result, dest = import_via_proxy()

    assert result.exit_code == 1
    assert f"does not match sha256:{BIG_LAYER}" in result.stderr
    assert not (dest / "index.json").exists()
    assert not (dest / "blobs" / "sha256" / BIG_LAYER).exists()
    assert list(dest.rglob(".*")) == []


def test_slow_down_answers_are_retried(import_via_proxy, proxy) -> None:
    proxy.add_rule(
        Rule(Fault.SLOW_DOWN, method="GET", path=r"/blobs/", nth=1, max_hits=3)
    )

    result, dest = import_via_proxy()

    assert result.exit_code == 0, result.output
    assert len(proxy.hits) == 3
    assert same_blobs_as_buildkit(dest)


def test_a_connection_reset_after_the_head_is_retried(import_via_proxy, proxy) -> None:
    proxy.add_rule(
        Rule(Fault.RESET_AFTER_HEAD, method="GET", path=BIG_LAYER_PATH, nth=1)
    )

    result, dest = import_via_proxy()

    assert result.exit_code == 0, result.output
    assert proxy.hits
    assert same_blobs_as_buildkit(dest)
