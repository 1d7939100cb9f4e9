"""Keep secrets out of every line s3cache prints or logs.

Secrets given in a flag string, or found in the environment, are registered
here; any text that passes through ``redact`` has them replaced by ``***``.
"""

from __future__ import annotations

import logging
import os
import re

MASK = "***"
_SECRET_ENV_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_secrets: set[str] = set()

# Signed requests carry the signature, never the secret, but a session token
# travels in a header and botocore's debug log prints headers.
_TOKEN_HEADER = re.compile(r"('?X-Amz-Security-Token'?\s*[:=]\s*'?)([^',\s}]+)", re.I)


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        _secrets.add(value)


def register_environment_secrets() -> None:
    for name in _SECRET_ENV_VARS:
        register_secret(os.environ.get(name))


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _TOKEN_HEADER.sub(rf"\g<1>{MASK}", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
