"""The retry policy for every S3 call s3cache makes, written with tenacity.

botocore retries each request a few times, but gives up after three tries
(or sooner, once its retry quota is spent), and it cannot retry a response
body that breaks off while we read it, or bytes that fail their digest. So
every call goes through ``call_with_retries`` (or ``with_retries``) as well:
a HEAD or a listing page as much as a part. Only the errors named in
``is_transient`` are retried; each attempt is logged as n/m.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import tenacity

from s3cache_cli.errors import IntegrityError
from s3cache_cli.s3.errors import translate
from s3cache_cli.s3.transfer import Cancelled

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_ATTEMPTS = 5
_RETRYABLE_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "500",
        "502",
        "503",
        "504",
    }
)


def is_transient(error: BaseException) -> bool:
    """Throttling, 5xx, timeouts, resets and broken bodies; never 4xx or auth."""
    import botocore.exceptions as bce
    import urllib3.exceptions as u3e

    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, bce.ClientError):
        from s3cache_cli.s3.errors import error_code, http_status

        status = http_status(error) or 0
        return error_code(error) in _RETRYABLE_CODES or status >= 500
    transient = (
        bce.ConnectionError,
        bce.HTTPClientError,
        bce.ReadTimeoutError,
        bce.ResponseStreamingError,
        bce.IncompleteReadError,
        u3e.ProtocolError,
        u3e.ReadTimeoutError,
        ConnectionError,
        TimeoutError,
    )
    return isinstance(error, transient)


def with_retries(
    operation: Callable[[], T],
    *,
    what: str,
    attempts: int = DEFAULT_ATTEMPTS,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``operation``; retry transient failures with jittered backoff.

    ``before_retry`` runs before each new attempt, so a caller can roll back
    the progress it reported for the failed one. The last error is re-raised.
    """

    def log_attempt(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.debug(
            "%s: attempt %d/%d failed (%s); retrying",
            what,
            state.attempt_number,
            attempts,
            error,
        )
        if before_retry is not None:
            before_retry()

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_random_exponential(multiplier=0.2, max=8),
        before_sleep=log_attempt,
        reraise=True,
    )
    return retrying(operation)


def call_with_retries(
    bucket: str,
    key: str | None,
    operation: Callable[[], Any],
    *,
    what: str,
    before_retry: Callable[[], None] | None = None,
) -> Any:
    """Run one S3 call with retries; the last error becomes an S3CacheError
    about ``bucket`` and ``key``."""
    import botocore.exceptions as bce

    def attempt() -> Any:
        try:
            return operation()
        except bce.HTTPClientError as error:
            # botocore wraps what the body raised; a cancel must not be retried.
            inner = error.kwargs.get("error")
            if isinstance(inner, Cancelled):
                raise inner from None
            raise

    try:
        return with_retries(attempt, what=what, before_retry=before_retry)
    except (bce.ClientError, bce.BotoCoreError, OSError) as error:
        raise translate(error, bucket=bucket, key=key) from error
