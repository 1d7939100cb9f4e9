"""The fault proxy, driven by plain boto3 configured the way s3cache configures it.

Un-faulted traffic must reach the S3 server byte for byte with its signature
intact; each fault must look to botocore like the failure it imitates.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from devtools.seaweed import SeaweedServer
from tests.faults.proxy import Exchange, Fault, FaultProxy, Hit, Rule

MiB = 1024 * 1024


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def upload_in_parts(client, bucket: str, key: str, parts: list[bytes]) -> None:
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [
        client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part
        )["ETag"]
        for number, part in enumerate(parts, start=1)
    ]
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": number, "ETag": etag}
                for number, etag in enumerate(etags, start=1)
            ]
        },
    )


def statuses(proxy: FaultProxy) -> list[int | None]:
    return [exchange.status for exchange in proxy.requests]


def exchanges(proxy: FaultProxy) -> list[tuple[str, int | None]]:
    return [(exchange.method, exchange.status) for exchange in proxy.requests]


def head_repeatedly(client, bucket: str, key: str, times: int) -> None:
    for _ in range(times):
        with contextlib.suppress(ClientError):
            client.head_object(Bucket=bucket, Key=key)


def test_put_get_and_head_pass_through_byte_exact(
    fault_proxy, proxy_client, bucket
) -> None:
    client = proxy_client()
    data = payload(300_000)

    client.put_object(Bucket=bucket.name, Key="blobs/a", Body=data)
    fetched = client.get_object(Bucket=bucket.name, Key="blobs/a")["Body"].read()
    head = client.head_object(Bucket=bucket.name, Key="blobs/a")

    assert bucket.get("blobs/a") == data
    assert fetched == data
    assert head["ContentLength"] == len(data)
    assert exchanges(fault_proxy) == [("PUT", 200), ("GET", 200), ("HEAD", 200)]


def test_multipart_upload_passes_through_byte_exact(
    fault_proxy, proxy_client, bucket
) -> None:
    parts = [payload(5 * MiB, seed=1), payload(1000, seed=2)]

    upload_in_parts(proxy_client(), bucket.name, "blobs/big", parts)

    assert bucket.get("blobs/big") == b"".join(parts)
    assert exchanges(fault_proxy) == [
        ("POST", 200),
        ("PUT", 200),
        ("PUT", 200),
        ("POST", 200),
    ]


def test_listing_copy_and_batch_delete_pass_through(proxy_client, bucket) -> None:
    client = proxy_client()
    for name in ("a", "b", "c"):
        bucket.put(f"blobs/{name}", name.encode() * 10)

    listed = client.list_objects_v2(Bucket=bucket.name, Prefix="blobs/")
    client.copy_object(
        Bucket=bucket.name,
        Key="blobs/d",
        CopySource={"Bucket": bucket.name, "Key": "blobs/a"},
        MetadataDirective="REPLACE",
        Metadata={"updated-at": "2024-01-01T00:00:00Z"},
    )
    client.delete_objects(
        Bucket=bucket.name,
        Delete={"Objects": [{"Key": "blobs/a"}, {"Key": "blobs/b"}]},
    )

    assert [entry["Key"] for entry in listed["Contents"]] == [
        "blobs/a",
        "blobs/b",
        "blobs/c",
    ]
    assert bucket.keys() == ["blobs/c", "blobs/d"]
    assert bucket.get("blobs/d") == b"a" * 10


def test_chunked_request_body_streams_through(proxy_client, bucket) -> None:
    url = proxy_client().generate_presigned_url(
        "put_object", Params={"Bucket": bucket.name, "Key": "blobs/chunked"}
    )
    target = urlsplit(url)
    pieces = [payload(100_000, seed=number) for number in range(3)]
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=5)

    connection.request("PUT", f"{target.path}?{target.query}", body=iter(pieces))
    response = connection.getresponse()

    assert response.status == 200, response.read()
    assert bucket.get("blobs/chunked") == b"".join(pieces)


def test_client_connection_is_kept_alive(proxy_client, bucket) -> None:
    bucket.put("blobs/a", b"still here")
    url = proxy_client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket.name, "Key": "blobs/a"}
    )
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=5)

    bodies, sockets = [], []
    for _ in range(3):
        connection.request("GET", f"{target.path}?{target.query}")
        bodies.append(connection.getresponse().read())
        sockets.append(connection.sock)

    assert bodies == [b"still here"] * 3
    assert sockets[0] is not None
    assert sockets == [sockets[0]] * 3


def test_signatures_are_still_checked_behind_the_proxy(
    fault_proxy, proxy_client, bucket
) -> None:
    bucket.put("blobs/a", b"secret-protected")

    with pytest.raises(ClientError) as raised:
        proxy_client(secret_key="not-the-secret").get_object(
            Bucket=bucket.name, Key="blobs/a"
        )

    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert statuses(fault_proxy) == [403]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        pytest.param(Fault.SLOW_DOWN, 503, "SlowDown", id="slow-down"),
        pytest.param(Fault.INTERNAL_ERROR, 500, "InternalError", id="internal-error"),
    ],
)
def test_error_faults_answer_without_forwarding(
    fault, status, code, fault_proxy, proxy_client, bucket
) -> None:
    fault_proxy.add_rule(Rule(fault=fault, method="PUT"))

    with pytest.raises(ClientError) as raised:
        proxy_client().put_object(Bucket=bucket.name, Key="blobs/a", Body=b"lost")

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert bucket.keys() == []
    assert fault_proxy.hits == [Hit("PUT", f"/{bucket.name}/blobs/a", fault)]


def test_slow_down_on_the_first_put_is_retried(
    fault_proxy, proxy_client, bucket
) -> None:
    fault_proxy.add_rule(
        Rule(fault=Fault.SLOW_DOWN, method="PUT", path=r"/blobs/", nth=1)
    )

    proxy_client(attempts=3).put_object(Bucket=bucket.name, Key="blobs/a", Body=b"kept")

    assert bucket.get("blobs/a") == b"kept"
    assert statuses(fault_proxy) == [503, 200]


def test_reset_before_response_closes_the_connection(
    fault_proxy, proxy_client, bucket
) -> None:
    bucket.put("blobs/a", b"unreachable")
    fault_proxy.add_rule(Rule(fault=Fault.RESET_BEFORE_RESPONSE, method="GET"))

    with pytest.raises(ConnectionClosedError):
        proxy_client().get_object(Bucket=bucket.name, Key="blobs/a")

    assert [exchange[:4] for exchange in fault_proxy.requests] == [
        Exchange("GET", f"/{bucket.name}/blobs/a", "", None)[:4]
    ]


def test_reset_before_response_is_retried(fault_proxy, proxy_client, bucket) -> None:
    bucket.put("blobs/a", b"second time lucky")
    fault_proxy.add_rule(Rule(fault=Fault.RESET_BEFORE_RESPONSE, nth=1))

    response = proxy_client(attempts=2).get_object(Bucket=bucket.name, Key="blobs/a")

    assert response["Body"].read() == b"second time lucky"
    assert statuses(fault_proxy) == [None, 200]


def test_reset_after_head_breaks_the_body(fault_proxy, proxy_client, bucket) -> None:
    bucket.put("blobs/a", payload(200_000))
    fault_proxy.add_rule(Rule(fault=Fault.RESET_AFTER_HEAD, method="GET"))

    response = proxy_client().get_object(Bucket=bucket.name, Key="blobs/a")

    assert response["ContentLength"] == 200_000
    with pytest.raises(ResponseStreamingError, match="reset"):
        response["Body"].read()


def test_cut_body_delivers_exactly_the_first_half(
    fault_proxy, proxy_client, bucket
) -> None:
    data = payload(200_000)
    bucket.put("blobs/a", data)
    fault_proxy.add_rule(Rule(fault=Fault.CUT_BODY, method="GET"))

    body = proxy_client().get_object(Bucket=bucket.name, Key="blobs/a")["Body"]

    assert body.read(100_000) == data[:100_000]
    with pytest.raises(ResponseStreamingError, match="IncompleteRead"):
        body.read()


def test_flip_byte_changes_one_byte_in_the_middle(
    fault_proxy, proxy_client, bucket
) -> None:
    data = payload(200_001)
    bucket.put("blobs/a", data)
    fault_proxy.add_rule(Rule(fault=Fault.FLIP_BYTE, method="GET"))

    body = proxy_client().get_object(Bucket=bucket.name, Key="blobs/a")["Body"].read()

    assert len(body) == len(data)
    pairs = enumerate(zip(body, data, strict=True))
    changed = [index for index, (got, sent) in pairs if got != sent]
    assert changed == [100_000]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.RESET_AFTER_HEAD, id="reset-after-head"),
        pytest.param(Fault.CUT_BODY, id="cut-body"),
    ],
)
def test_closing_faults_spare_the_next_request(
    fault, fault_proxy, proxy_client, bucket
) -> None:
    bucket.put("blobs/empty", b"")
    fault_proxy.add_rule(Rule(fault=fault, nth=1))
    client = proxy_client()

    bodies = [
        client.get_object(Bucket=bucket.name, Key="blobs/empty")["Body"].read()
        for _ in range(2)
    ]

    assert bodies == [b"", b""]
    assert statuses(fault_proxy) == [200, 200]
    assert len(fault_proxy.hits) == 1


def test_stall_outlasts_the_read_timeout_and_ends_with_the_proxy(
    fault_proxy, proxy_client, bucket
) -> None:
    bucket.put("blobs/a", b"too late")
    fault_proxy.add_rule(Rule(fault=Fault.STALL, method="GET", stall_seconds=20))
    client = proxy_client(read_timeout=0.5)

    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.get_object(Bucket=bucket.name, Key="blobs/a")
    timed_out_after = time.monotonic() - started
    fault_proxy.stop()
    stopped_after = time.monotonic() - started - timed_out_after

    assert timed_out_after < 3
    assert stopped_after < 2
    assert statuses(fault_proxy) == [None]


def test_query_substring_picks_upload_parts(fault_proxy, proxy_client, bucket) -> None:
    parts = [payload(5 * MiB, seed=1), payload(1000, seed=2)]
    fault_proxy.add_rule(Rule(fault=Fault.INTERNAL_ERROR, query="partNumber=", nth=2))

    upload_in_parts(proxy_client(attempts=2), bucket.name, "blobs/big", parts)

    assert bucket.get("blobs/big") == b"".join(parts)
    assert exchanges(fault_proxy) == [
        ("POST", 200),
        ("PUT", 200),
        ("PUT", 500),
        ("PUT", 200),
        ("POST", 200),
    ]
    assert "partNumber=2" in fault_proxy.requests[2].query


def test_rules_match_method_and_path(fault_proxy, proxy_client, bucket) -> None:
    bucket.put("blobs/a", b"blob")
    bucket.put("manifests/main", b"manifest")
    fault_proxy.add_rule(Rule(fault=Fault.SLOW_DOWN, method="GET", path=r"/blobs/"))
    client = proxy_client()

    manifest = client.get_object(Bucket=bucket.name, Key="manifests/main")
    head = client.head_object(Bucket=bucket.name, Key="blobs/a")
    with pytest.raises(ClientError, match="SlowDown"):
        client.get_object(Bucket=bucket.name, Key="blobs/a")

    assert manifest["Body"].read() == b"manifest"
    assert head["ContentLength"] == 4
    assert [hit.path for hit in fault_proxy.hits] == [f"/{bucket.name}/blobs/a"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({"nth": 2}, [200, 500, 200, 200], id="nth-fires-once"),
        pytest.param(
            {"nth": 2, "max_hits": 2}, [200, 500, 500, 200], id="nth-up-to-max-hits"
        ),
        pytest.param({"max_hits": 2}, [500, 500, 200, 200], id="always-up-to-max"),
        pytest.param({"probability": 0.0}, [200] * 4, id="never"),
    ],
)
def test_rule_counting(options, expected, fault_proxy, proxy_client, bucket) -> None:
    bucket.put("blobs/a", b"x")
    fault_proxy.add_rule(Rule(fault=Fault.INTERNAL_ERROR, method="HEAD", **options))

    head_repeatedly(proxy_client(), bucket.name, "blobs/a", times=4)

    assert statuses(fault_proxy) == expected


def test_probability_draws_repeat_with_the_seed(
    s3_server: SeaweedServer, proxy_client, bucket
) -> None:
    bucket.put("blobs/a", b"x")
    patterns = []
    for _ in range(2):
        with FaultProxy(upstream=s3_server.endpoint_url, seed=7) as proxy:
            proxy.add_rule(Rule(fault=Fault.INTERNAL_ERROR, probability=0.5))
            client = proxy_client(endpoint_url=proxy.endpoint_url)
            head_repeatedly(client, bucket.name, "blobs/a", times=16)
        patterns.append(statuses(proxy))

    assert patterns[0] == patterns[1]
    assert 0 < patterns[0].count(500) < 16


def test_cleared_rules_inject_nothing(fault_proxy, proxy_client, bucket) -> None:
    bucket.put("blobs/a", b"x")
    fault_proxy.add_rule(Rule(fault=Fault.INTERNAL_ERROR))
    client = proxy_client()

    head_repeatedly(client, bucket.name, "blobs/a", times=1)
    fault_proxy.clear_rules()
    head_repeatedly(client, bucket.name, "blobs/a", times=1)

    assert statuses(fault_proxy) == [500, 200]


CHUNKS = [b"first chunk ", b"second chunk ", b"last chunk"]


class _ChunkedOrigin(BaseHTTPRequestHandler):
    """An origin that frames its answer in chunks, which SeaweedFS never does."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in CHUNKS:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def chunked_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChunkedOrigin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get_through(proxy: FaultProxy, path: str) -> http.client.HTTPResponse:
    target = urlsplit(proxy.endpoint_url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
    connection.request("GET", path)
    return connection.getresponse()


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([], b"".join(CHUNKS), id="intact"),
        pytest.param(
            [Rule(fault=Fault.FLIP_BYTE)],
            b"\x99" + b"".join(CHUNKS)[1:],
            id="flip-first-byte-of-unknown-length",
        ),
    ],
)
def test_chunked_responses_are_framed_again(chunked_origin, rules, expected) -> None:
    with FaultProxy(upstream=chunked_origin) as proxy:
        for rule in rules:
            proxy.add_rule(rule)
        response = get_through(proxy, "/chunked")

        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.read() == expected


def test_chunked_response_of_unknown_length_is_cut_at_once(chunked_origin) -> None:
    with FaultProxy(upstream=chunked_origin) as proxy:
        proxy.add_rule(Rule(fault=Fault.CUT_BODY))
        response = get_through(proxy, "/chunked")

        with pytest.raises(http.client.IncompleteRead) as raised:
            response.read()

    assert raised.value.partial == b""
