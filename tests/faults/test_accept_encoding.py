"""disable_accept_encoding=true: no request carries an Accept-Encoding header.

The proxy records the header names each request arrived with, so these
tests see what went over the wire, not what botocore meant to send.
"""

from __future__ import annotations

import pytest

from tests.export.cachebuilder import write_local_cache


def through_proxy(bucket, fault_proxy, **attributes: str) -> str:
    spec = bucket.spec(**attributes)
    return spec.replace(bucket.server.endpoint_url, fault_proxy.endpoint_url)


def header_names(fault_proxy) -> list[frozenset[str]]:
    assert fault_proxy.requests, "no request went through the proxy"
    return [exchange.header_names for exchange in fault_proxy.requests]


@pytest.fixture
def local_cache(tmp_path):
    return write_local_cache(tmp_path / "local", [b"layer one", b"layer two"])


def test_export_and_import_send_no_accept_encoding_when_disabled(
    run_cli, bucket, fault_proxy, local_cache, tmp_path
) -> None:
    spec = through_proxy(
        bucket, fault_proxy, name="app", disable_accept_encoding="true"
    )

    exported = run_cli("export", str(local_cache), "--cache-to", spec)
    imported = run_cli("import", str(tmp_path / "out"), "--cache-from", spec)

    assert (exported.exit_code, imported.exit_code) == (0, 0), exported.stderr
    assert all("accept-encoding" not in names for names in header_names(fault_proxy))
    assert {"authorization", "host"} <= header_names(fault_proxy)[0]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("inspect", "--check"), id="inspect"),
        pytest.param(("prune", "--force", "--all"), id="prune"),
    ],
)
def test_reading_and_pruning_work_with_accept_encoding_disabled(
    run_cli, bucket, fault_proxy, local_cache, args
) -> None:
    spec = through_proxy(
        bucket, fault_proxy, name="app", disable_accept_encoding="true"
    )
    assert run_cli("export", str(local_cache), "--cache-to", spec).exit_code == 0
    flag = "--cache-to" if args[0] == "prune" else "--cache-from"

    result = run_cli(*args, flag, spec)

    assert result.exit_code == 0, result.stderr
    assert all("accept-encoding" not in names for names in header_names(fault_proxy))


def test_by_default_requests_carry_accept_encoding(
    run_cli, bucket, fault_proxy, local_cache
) -> None:
    spec = through_proxy(bucket, fault_proxy, name="app")

    result = run_cli("export", str(local_cache), "--cache-to", spec)

    assert result.exit_code == 0, result.stderr
    assert all("accept-encoding" in names for names in header_names(fault_proxy))
