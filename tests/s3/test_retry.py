from __future__ import annotations

import logging

import pytest
from botocore.exceptions import ClientError, ResponseStreamingError

from s3cache_cli.errors import IntegrityError
from s3cache_cli.s3.retry import is_transient, with_retries


def client_error(code: str, status: int) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutObject")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        pytest.param(client_error("SlowDown", 503), True, id="throttled"),
        pytest.param(client_error("InternalError", 500), True, id="server-error"),
        pytest.param(client_error("BadGateway", 502), True, id="any-5xx"),
        pytest.param(ResponseStreamingError(error="reset"), True, id="broken-body"),
        pytest.param(IntegrityError("digest mismatch"), True, id="corrupt-bytes"),
        pytest.param(ConnectionResetError(), True, id="connection-reset"),
        pytest.param(client_error("AccessDenied", 403), False, id="denied"),
        pytest.param(client_error("NoSuchBucket", 404), False, id="no-bucket"),
        pytest.param(ValueError("bug"), False, id="programming-error"),
    ],
)
def test_only_transient_errors_are_retried(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_a_part_that_fails_twice_then_succeeds_is_retried(caplog) -> None:
    calls: list[int] = []
    rollbacks: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise client_error("SlowDown", 503)
        return "etag"

    with caplog.at_level(logging.DEBUG, logger="s3cache_cli"):
        result = with_retries(
            flaky, what="part 3", attempts=4, before_retry=lambda: rollbacks.append(1)
        )

    assert result == "etag"
    assert len(calls) == 3
    assert len(rollbacks) == 2
    assert "part 3: attempt 1/4 failed" in caplog.text
    assert "attempt 2/4" in caplog.text


def test_attempts_are_bounded_and_the_last_error_is_raised() -> None:
    calls: list[int] = []

    def always_throttled() -> None:
        calls.append(1)
        raise client_error("SlowDown", 503)

    with pytest.raises(ClientError, match="SlowDown"):
        with_retries(always_throttled, what="blob", attempts=3)

    assert len(calls) == 3


def test_a_permanent_error_is_not_retried() -> None:
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise client_error("AccessDenied", 403)

    with pytest.raises(ClientError):
        with_retries(denied, what="blob", attempts=5)

    assert len(calls) == 1
