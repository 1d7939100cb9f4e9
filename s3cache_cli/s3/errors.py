"""Turn botocore's exceptions into errors a user can act on."""

from __future__ import annotations

from typing import Any

from s3cache_cli.errors import (
    AccessDenied,
    CredentialsError,
    OperationFailed,
    S3CacheError,
)

_CREDENTIAL_CODES = {
    "InvalidAccessKeyId": "the access key id is not known to the server",
    "SignatureDoesNotMatch": "the secret access key does not match the key id",
    "ExpiredToken": "the session token has expired",
    "TokenRefreshRequired": "the session token has expired",
    "InvalidToken": "the session token is not valid",
}


def describe_target(bucket: str, key: str | None) -> str:
    return f"s3://{bucket}/{key}" if key else f"bucket {bucket!r}"


def translate(error: Exception, *, bucket: str, key: str | None = None) -> S3CacheError:
    """An ``S3CacheError`` for a botocore exception raised while using ``key``."""
    import botocore.exceptions as bce

    target = describe_target(bucket, key)
    if isinstance(error, S3CacheError):
        return error
    if isinstance(error, bce.NoCredentialsError):
        return CredentialsError(
            "no AWS credentials found",
            hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(error, bce.ClientError):
        return _client_error(error, bucket, key, target)
    if isinstance(error, bce.EndpointConnectionError):
        return OperationFailed(
            f"cannot reach the S3 endpoint {error.kwargs.get('endpoint_url')}",
            hint="check endpoint_url and that the server is running",
        )
    if isinstance(error, bce.ReadTimeoutError | bce.ConnectTimeoutError):
        return OperationFailed(f"timed out talking to S3 about {target}")
    if isinstance(error, bce.BotoCoreError | OSError):
        return OperationFailed(f"S3 request for {target} failed: {error}")
    return OperationFailed(f"unexpected error for {target}: {error!r}")


def error_code(error: Any) -> str:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code or str(status or "")


def http_status(error: Any) -> int | None:
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _client_error(
    error: Any, bucket: str, key: str | None, target: str
) -> S3CacheError:
    code = error_code(error)
    if code in _CREDENTIAL_CODES:
        return CredentialsError(f"{_CREDENTIAL_CODES[code]} (for {target})")
    if code == "NoSuchBucket":
        return OperationFailed(f"bucket {bucket!r} does not exist")
    if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
        return _access_denied(target, key)
    if code in ("NoSuchKey", "404", "NotFound"):
        return OperationFailed(f"{target} does not exist")
    message = error.response.get("Error", {}).get("Message") or str(error)
    return OperationFailed(f"S3 refused the request for {target}: {code}: {message}")


def _access_denied(target: str, key: str | None) -> CredentialsError:
    hint = None
    if key is not None:
        # S3 answers 403 instead of 404 for a missing key when the caller may
        # not list the bucket, so "denied" often means "missing".
        hint = (
            "if the object may not exist, the credentials may lack s3:ListBucket, "
            "which makes S3 answer 403 instead of 404"
        )
    return AccessDenied(f"access denied to {target}", hint=hint)
