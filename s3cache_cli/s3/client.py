"""One place that builds an S3 client from a ``type=s3`` spec.

Credentials come from the flag string when it names both the key id and the
secret, else from the standard AWS chain (environment, profile, SSO,
credential_process, web identity, container, instance metadata).

The client comes from a botocore session rather than a boto3 one: boto3's
import brings s3transfer and its resource layer along, a tenth of a second
of start-up that no s3cache command uses.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from s3cache_cli.s3.credentials import check_before_signing
from s3cache_cli.s3.credentials import failure as credential_failure
from s3cache_cli.s3.credentials import resolve as resolve_credentials

if TYPE_CHECKING:
    import botocore.session

    from s3cache_cli.spec import S3Spec

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# For tests only: a stalled server is then found out in a second, not a minute.
READ_TIMEOUT_VARIABLE = "S3CACHE_READ_TIMEOUT"


@dataclass(frozen=True)
class S3Connection:
    """A client bound to the spec it was made for, and how it authenticated."""

    client: Any
    spec: S3Spec
    endpoint_url: str  # as botocore resolved it: the flag, the environment,
    # the profile's endpoint_url, or AWS's own for the region
    credential_source: str

    @property
    def endpoint_description(self) -> str:
        """The endpoint as -v shows it."""
        if is_aws_endpoint(self.endpoint_url):
            region = self.client.meta.region_name
            return f"AWS {self.endpoint_url} (region {region})"
        return self.endpoint_url

    @property
    def bucket(self) -> str:
        return self.spec.bucket


def resolve_endpoint(spec: S3Spec) -> str | None:
    """The spec's endpoint_url, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL;
    None leaves it to botocore (a profile's endpoint_url, else AWS)."""
    return (
        spec.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or None
    )


def is_aws_endpoint(endpoint_url: str | None) -> bool:
    if endpoint_url is None:
        return True
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


def connect(
    spec: S3Spec, *, no_sign_request: bool = False, max_pool_connections: int = 0
) -> S3Connection:
    """A client for ``spec``; credentials are resolved now so errors show early."""
    session = _session(spec)
    source, credentials = "none (unsigned requests)", None
    if not no_sign_request:
        credentials, source = resolve_credentials(session)
    client = _create_client(session, spec, no_sign_request, max_pool_connections)
    if credentials is not None:
        check = check_before_signing(credentials, session)
        client.meta.events.register("before-sign.s3", check)
    if spec.disable_accept_encoding:
        client.meta.events.register("before-send.s3", _omit_accept_encoding)
    endpoint_url = client.meta.endpoint_url
    log.debug("S3 client for %s at %s", spec.bucket, endpoint_url)
    return S3Connection(client, spec, endpoint_url, source)


def _create_client(
    session: botocore.session.Session,
    spec: S3Spec,
    no_sign_request: bool,
    max_pool_connections: int,
) -> Any:
    import botocore.exceptions as bce

    pool = max_pool_connections or max(10, spec.upload_parallelism * 2 + 2)
    endpoint_url = resolve_endpoint(spec)
    try:
        client = _new_client(session, spec, endpoint_url, no_sign_request, pool)
        resolved = client.meta.endpoint_url
        if is_aws_endpoint(endpoint_url) and not is_aws_endpoint(resolved):
            # The profile names an endpoint_url, found only by botocore; the
            # config made for AWS does not suit it.
            client = _new_client(session, spec, resolved, no_sign_request, pool)
    except bce.BotoCoreError as error:  # a profile that is missing or unreadable
        raise credential_failure(error, session, credentials=None) from error
    return client


def _new_client(
    session: botocore.session.Session,
    spec: S3Spec,
    endpoint_url: str | None,
    no_sign_request: bool,
    pool: int,
) -> Any:
    config = _client_config(spec, endpoint_url, no_sign_request, pool)
    client = session.create_client(
        "s3", region_name=spec.region, endpoint_url=endpoint_url, config=config
    )
    _send_blob_bodies_unsigned(client, config)
    return client


def _session(spec: S3Spec) -> botocore.session.Session:
    import botocore.session

    from s3cache_cli.s3.timestamps import parse_timestamp

    session = botocore.session.Session()
    parsers = session.get_component("response_parser_factory")
    parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
    if spec.region:
        session.set_config_variable("region", spec.region)
    if spec.access_key_id and spec.secret_access_key:
        session.set_credentials(
            spec.access_key_id, spec.secret_access_key, spec.session_token
        )
    return session


def _client_config(
    spec: S3Spec, endpoint_url: str | None, no_sign_request: bool, pool: int
) -> Any:
    from botocore import UNSIGNED
    from botocore.config import Config

    options: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": _read_timeout(),
        "max_pool_connections": pool,
        "retries": _retries(spec),
        "s3": {"addressing_style": "path" if spec.use_path_style else "auto"},
    }
    if not is_aws_endpoint(endpoint_url):
        # Newer botocore sends CRC checksums that MinIO, R2 and others reject.
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    if no_sign_request:
        options["signature_version"] = UNSIGNED
    return Config(**options)


def _read_timeout() -> float:
    text = os.environ.get(READ_TIMEOUT_VARIABLE, "")
    try:
        seconds = float(text)
    except ValueError:
        return READ_TIMEOUT
    return seconds if seconds > 0 else READ_TIMEOUT


def _retries(spec: S3Spec) -> dict[str, Any]:
    retries: dict[str, Any] = {"mode": spec.retry_mode or "standard"}
    if spec.retry_max_attempts is not None:
        retries["total_max_attempts"] = spec.retry_max_attempts
    return retries


def _send_blob_bodies_unsigned(client: Any, config: Any) -> None:
    """Sign a streamed blob body as UNSIGNED-PAYLOAD; keep signing the rest.

    botocore signs a body by hashing it (over plain http, and over https
    when no checksum header goes along), which reads every blob a second
    time. A body that says ``checked_against_digest`` is a blob whose bytes
    are hashed against its digest before they are published, and every
    import hashes them again; the manifests have no digest of their own and
    stay signed.
    """
    from botocore.config import Config

    s3_options = {**(config.s3 or {}), "payload_signing_enabled": False}
    unsigned = config.merge(Config(s3=s3_options))

    def choose(request: Any, **_: Any) -> None:
        if getattr(request.body, "checked_against_digest", False):
            request.context["client_config"] = unsigned

    for operation in ("PutObject", "UploadPart"):
        client.meta.events.register(f"before-sign.s3.{operation}", choose)


def _omit_accept_encoding(request: Any, **_: Any) -> None:
    """Send no Accept-Encoding header at all, not even http.client's default.

    Google Cloud Storage's S3 interoperability rewrites Accept-Encoding,
    which breaks a signature that covers it. The request is signed by now,
    so the header is left out of the signature too. urllib3 leaves out a
    header whose value is its SKIP_HEADER marker, and adds no default
    Accept-Encoding when the request has one. A prepared request's headers
    are botocore's case-insensitive HeadersDict.
    """
    from urllib3.util import SKIP_HEADER

    request.headers.pop("Accept-Encoding", None)
    request.headers["Accept-Encoding"] = SKIP_HEADER
