"""``type=s3``: the attributes BuildKit's S3 cache takes, read into an ``S3Spec``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from s3cache_cli.spec import values
from s3cache_cli.spec.attributes import Attributes, Table
from s3cache_cli.spec.keys import check_key_lengths, check_key_roots
from s3cache_cli.spec.model import Direction, S3Spec
from s3cache_cli.spec.values import Invalid, Reader

S3_READERS: dict[str, Reader] = {
    "bucket": values.bucket_name,
    "region": values.region,
    "name": values.names,
    "prefix": values.key_prefix,
    "manifests_prefix": values.key_prefix,
    "blobs_prefix": values.key_prefix,
    "endpoint_url": values.endpoint_url,
    "use_path_style": values.boolean,
    "access_key_id": values.optional_text,
    "secret_access_key": values.optional_text,
    "session_token": values.optional_text,
    "upload_parallelism": values.positive_integer,
    "touch_refresh": values.duration,
    "retry_mode": values.choice("standard", "adaptive"),
    "retry_max_attempts": values.positive_integer,
    "disable_accept_encoding": values.boolean,
    "mode": values.choice("min", "max"),
    "ignore-error": values.boolean,
}
# Keys buildx takes for its image exporters; an S3 cache has no use for them.
S3_IGNORED = (
    "compression",
    "compression-level",
    "force-compression",
    "oci-mediatypes",
    "image-manifest",
)
_FIELD_NAMES = {"name": "names", "ignore-error": "ignore_error"}
_ENVIRONMENT = {"bucket": "AWS_BUCKET", "region": "AWS_REGION"}
_EXAMPLES = {"bucket": "my-cache", "region": "eu-west-1"}


def build_s3(
    attributes: Attributes, *, direction: Direction, environ: Mapping[str, str]
) -> S3Spec:
    table = Table(f"type=s3 on --cache-{direction}", S3_READERS, S3_IGNORED)
    read = attributes.read(table)
    settings = {_FIELD_NAMES.get(key, key): value for key, value in read.read.items()}
    for key in ("bucket", "region"):
        settings[key] = settings.get(key) or _from_environment(attributes, key, environ)

    names_given = "names" in settings
    spec = S3Spec(**settings, ignored=read.ignored, names_given=names_given)
    check_key_lengths(spec, attributes)
    check_key_roots(spec, attributes)
    warnings = (*_prefix_warnings(spec), *_credential_warnings(spec))
    if direction == "from" and spec.mode is not None:
        warnings += (f"mode={spec.mode} means nothing on --cache-from; it is ignored",)
    return _with_warnings(spec, warnings)


def _from_environment(
    attributes: Attributes, key: str, environ: Mapping[str, str]
) -> str:
    variable = _ENVIRONMENT[key]
    value = environ.get(variable, "")
    source = attributes.source
    if not value:
        raise source.error(
            f"type=s3 needs a {key}",
            span=source.end,
            attribute=key,
            accepted=_missing_advice(key, variable, environ),
        )

    try:
        return str(S3_READERS[key](value))
    except Invalid as problem:
        raise source.error(
            f"{variable} (read for the missing {key}): {problem.reason}",
            span=source.end,
            attribute=key,
            accepted=f"{key} takes {problem.accepted}",
        ) from None


def _missing_advice(key: str, variable: str, environ: Mapping[str, str]) -> str:
    advice = f"add {key}={_EXAMPLES[key]} to the flag string, or set {variable}"
    if key == "region" and environ.get("AWS_DEFAULT_REGION"):
        advice += " (AWS_DEFAULT_REGION is not read for this, as in BuildKit)"
    return advice


def _prefix_warnings(spec: S3Spec) -> tuple[str, ...]:
    examples = {
        "prefix": (spec.prefix, f"{spec.manifests_root}<name>"),
        "manifests_prefix": (spec.manifests_prefix, f"{spec.manifests_root}<name>"),
        "blobs_prefix": (spec.blobs_prefix, f"{spec.blobs_root}sha256:<hex>"),
    }
    return tuple(
        f"{key}={value} has no trailing '/': keys are written as {example}; "
        f"write {key}={value}/ for a folder"
        for key, (value, example) in examples.items()
        if value and not value.endswith("/")
    )


def _credential_warnings(spec: S3Spec) -> tuple[str, ...]:
    has_id, has_secret = bool(spec.access_key_id), bool(spec.secret_access_key)
    if has_id != has_secret:
        return (
            "access_key_id and secret_access_key are used only together; "
            "credentials come from the AWS chain instead",
        )
    if spec.session_token and not has_id:
        return (
            "session_token is used only with access_key_id and secret_access_key; "
            "credentials come from the AWS chain instead",
        )
    return ()


def _with_warnings(spec: S3Spec, warnings: tuple[str, ...]) -> S3Spec:
    return dataclasses.replace(spec, warnings=warnings) if warnings else spec
