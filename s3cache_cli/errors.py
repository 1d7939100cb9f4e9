"""The errors s3cache reports to its users, each with the exit code it maps to.

Library code raises these; only ``cli.main`` turns them into a message and an
exit status. The codes are part of the interface (see the README's table).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # an operation failed: transfer, corrupt blob, invalid manifest
    USAGE = 2  # bad flag string, option or attribute; prune without --force
    NOT_FOUND = 3  # a named cache does not exist
    CREDENTIALS = 4  # no credentials, expired token, access denied
    INTERRUPTED = 130  # Ctrl-C / SIGINT


class S3CacheError(Exception):
    """An error the user can act on: a one-line message and an optional hint."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class OperationFailed(S3CacheError):
    exit_code = ExitCode.FAILED


class UsageError(S3CacheError):
    exit_code = ExitCode.USAGE


class CacheNotFound(S3CacheError):
    exit_code = ExitCode.NOT_FOUND


class CredentialsError(S3CacheError):
    exit_code = ExitCode.CREDENTIALS


class AccessDenied(CredentialsError):
    """The store turned a request down: the credentials, or none, may not do it."""


class InvalidManifest(OperationFailed):
    """A cache manifest or config that BuildKit would reject, with the reason."""


class IntegrityError(OperationFailed):
    """A blob whose bytes do not match its digest or size."""
