"""Credentials from the AWS chain, and every way loading them fails as exit 4.

botocore raises many things while it looks for credentials: its own
exceptions (a profile that is not there, an SSO session never started, a
credential_process that fails), but also a ``RuntimeError`` when refreshed
credentials are already expired, a ``ValueError`` when a credential_process
prints something that is not JSON, and an ``OSError`` when its command
cannot run. Each becomes a ``CredentialsError`` that names where the
credentials came from and what to do.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import CredentialsError

if TYPE_CHECKING:
    import botocore.session

log = logging.getLogger(__name__)

# What botocore calls each link of the chain, in words a user recognises.
SOURCES = {
    "explicit": "the flag string (access_key_id/secret_access_key)",
    "env": "environment variables (AWS_ACCESS_KEY_ID)",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the AWS config file",
    "custom-process": "credential_process in the AWS config",
    "sso": "AWS SSO",
    "assume-role": "an assumed role (AWS config)",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "container-role": "container credentials",
    "iam-role": "the instance role (instance metadata)",
}
# Sources that a profile chooses: naming it tells which section to check.
_FROM_A_PROFILE = frozenset(
    {"shared-credentials-file", "config-file", "custom-process", "sso", "assume-role"}
)

NO_CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with "
    "AWS_PROFILE, or give access_key_id and secret_access_key in the flag "
    "string; --no-sign-request reads a public bucket"
)
# Raised while loading or refreshing credentials; see the module docstring.
LOADING_ERRORS: tuple[type[BaseException], ...] = (RuntimeError, ValueError, OSError)


def resolve(session: botocore.session.Session) -> tuple[Any, str]:
    """The session's credentials, loaded now so that a failure shows before
    any transfer, and the words that name their source."""
    import botocore.exceptions as bce

    credentials = None
    try:
        credentials = session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()  # SSO and processes load lazily
    except (bce.BotoCoreError, *LOADING_ERRORS) as error:
        raise failure(error, session, credentials=credentials) from error
    if credentials is None:
        raise CredentialsError("no AWS credentials found", hint=NO_CREDENTIALS_HINT)

    method = getattr(credentials, "method", "unknown")
    source = SOURCES.get(method, method)
    if method in _FROM_A_PROFILE:
        source += f", profile {session.profile or 'default'!r}"
    return credentials, source


def check_before_signing(credentials: Any, session: Any) -> Any:
    """A ``before-sign`` hook: credentials that expire during a long run and
    cannot be refreshed stop the command as a credentials error (exit 4)."""
    import botocore.exceptions as bce

    def check(**_: Any) -> None:
        try:
            credentials.get_frozen_credentials()
        except (bce.BotoCoreError, *LOADING_ERRORS) as error:
            raise failure(error, session, credentials=credentials) from error

    return check


def failure(
    error: BaseException, session: botocore.session.Session, *, credentials: Any
) -> CredentialsError:
    """The ``CredentialsError`` for an error raised while loading credentials."""
    import botocore.exceptions as bce

    profile = session.profile or "default"
    log.debug("loading credentials of profile %s failed", profile, exc_info=True)
    method = getattr(credentials, "method", None)
    if isinstance(error, bce.SSOError | bce.TokenRetrievalError) or method == "sso":
        return _sso_failure(error, profile)
    if isinstance(error, bce.ProfileNotFound):
        return CredentialsError(
            f"the AWS profile {profile!r} does not exist",
            hint="check AWS_PROFILE, and AWS_CONFIG_FILE and "
            "AWS_SHARED_CREDENTIALS_FILE if they are set",
        )
    if isinstance(error, bce.ConfigParseError | bce.InvalidConfigError):
        return CredentialsError(
            f"cannot read the AWS config for profile {profile!r}: {error}",
            hint=f"fix the file, or point {_variable_for(error)} at another one",
        )
    if _from_process(error, method):
        return _process_failure(error, profile)
    return _other_failure(error, profile, method)


def _sso_failure(error: BaseException, profile: str) -> CredentialsError:
    return CredentialsError(
        f"the AWS SSO session of profile {profile!r} has expired or was never "
        f"started ({_reason(error)})",
        hint=f"run: aws sso login --profile {profile}",
    )


def _variable_for(error: Any) -> str:
    """The variable that chooses the file botocore could not parse."""
    path = str(getattr(error, "kwargs", {}).get("path", ""))
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    if path and os.path.expanduser(path) == os.path.expanduser(credentials):
        return "AWS_SHARED_CREDENTIALS_FILE"
    return "AWS_CONFIG_FILE"


def _from_process(error: BaseException, method: str | None) -> bool:
    import botocore.exceptions as bce

    if method == "custom-process":
        return True
    provider = getattr(error, "kwargs", {}).get("provider")
    if isinstance(error, bce.CredentialRetrievalError):
        return provider == "custom-process"
    # Only a credential_process runs a command or parses JSON on its own.
    return isinstance(error, OSError | ValueError)


def _process_failure(error: BaseException, profile: str) -> CredentialsError:
    hint = "run the command of credential_process by hand to see what it prints"
    if isinstance(error, RuntimeError):
        return CredentialsError(
            f"credential_process of profile {profile!r} returned credentials "
            "that have already expired (its Expiration is in the past)",
            hint=hint,
        )
    if isinstance(error, ValueError):
        reason = f"its output is not JSON ({error})"
    else:
        reason = _reason(error)
    return CredentialsError(
        f"credential_process of profile {profile!r} failed: {reason}", hint=hint
    )


def _other_failure(
    error: BaseException, profile: str, method: str | None
) -> CredentialsError:
    source = SOURCES.get(method or "", f"profile {profile!r}")
    if isinstance(error, RuntimeError):
        return CredentialsError(
            f"the AWS credentials from {source} have expired and could not be renewed",
            hint="renew them, or choose other credentials with AWS_PROFILE",
        )
    return CredentialsError(
        f"could not load AWS credentials from {source}: {_reason(error)}",
        hint="check AWS_PROFILE and the AWS config and credentials files",
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error) or type(error).__name__
