"""Read a ``--cache-to`` or ``--cache-from`` string the way docker buildx does.

Grammar (one CSV record, see ``tokens``)::

    spec   = field *("," field)
    field  = key "=" value          ; split at the first "="
           | '"' key "=" value '"'  ; "" inside quotes is one quote
    key    = lower-cased; "type" is required; the last repeated key wins

A lone value without ``=`` is a registry reference for buildx
(``type=registry,ref=VALUE``). s3cache reads ``type=s3`` and ``type=local``
and refuses, with the input echoed and the fault marked, anything BuildKit
would silently get wrong.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Collection, Mapping

from s3cache_cli.redact import register_secret
from s3cache_cli.spec.attributes import Attributes
from s3cache_cli.spec.local import build_local
from s3cache_cli.spec.model import Direction, LocalSpec, S3Spec
from s3cache_cli.spec.s3 import build_s3
from s3cache_cli.spec.source import Source
from s3cache_cli.spec.tokens import Field, TokenError, split_fields
from s3cache_cli.spec.values import quoted, shortened

logger = logging.getLogger(__name__)

HANDLED_TYPES = ("s3", "local")
_EXAMPLES = "type=s3,bucket=NAME,region=REGION or type=local,src=DIR"
_SPLIT_ADVICE = (
    'each field is key=value; to put a comma in a value, quote the field: "name=a,b"'
)


def parse_cache_spec(
    text: str,
    *,
    direction: Direction,
    environ: Mapping[str, str] | None = None,
    allowed_types: Collection[str] = HANDLED_TYPES,
    advice: Mapping[str, str] | None = None,
) -> S3Spec | LocalSpec:
    """Read one flag string; ``SpecError`` says what is wrong and where.

    ``advice`` holds a command's own words for two refusals that depend on
    the command: under ``"type"`` for a type it does not take, under a key
    such as ``"src"`` for a key that belongs to the other direction.
    """
    advice = advice or {}
    if direction not in ("from", "to"):
        raise ValueError(f"direction must be 'from' or 'to', not {direction!r}")

    source = Source(text)
    fields = _split(source)
    type_name, attributes = _attributes(source, fields)
    _check_type(source, type_name, allowed_types, advice.get("type"))

    environ = os.environ if environ is None else environ
    spec: S3Spec | LocalSpec
    if type_name.value == "s3":
        spec = build_s3(attributes, direction=direction, environ=environ)
        register_secret(spec.secret_access_key)
        register_secret(spec.session_token)
    else:
        spec = build_local(attributes, direction=direction, advice=advice)

    logger.debug("--cache-%s reads as %s", direction, spec.to_string())
    return spec


def _split(source: Source) -> tuple[Field, ...]:
    if not source.text.strip():
        raise source.error(
            "the flag string is empty",
            span=source.end,
            attribute="type",
            accepted=f"a flag string such as {_EXAMPLES}",
        )
    try:
        return split_fields(source.text)
    except TokenError as error:
        raise source.error(
            error.reason, span=error.span, accepted=error.accepted
        ) from None


def _attributes(source: Source, fields: tuple[Field, ...]) -> tuple[Field, Attributes]:
    if len(fields) == 1 and not fields[0].has_equals:
        raise _bare_reference(source, fields[0])
    for field in fields:
        if not field.has_equals:
            raise _field_without_equals(source, field)

    by_key = {field.key: field for field in fields}
    type_field = by_key.pop("type", None)
    if type_field is None:
        raise source.error(
            "type= is missing",
            span=source.end,
            attribute="type",
            accepted=f"s3cache handles type=s3 and type=local: {_EXAMPLES}",
        )
    return type_field, Attributes(source, by_key)


def _bare_reference(source: Source, field: Field) -> Exception:
    summary = (
        f"{quoted(field.content)} has no type=; buildx would read it as a "
        "registry image (type=registry,ref=...)"
    )
    accepted = f"s3cache handles type=s3 and type=local: {_EXAMPLES}"
    if field.content in HANDLED_TYPES:
        accepted = f"did you mean type={field.content}? {accepted}"
    return source.error(summary, span=field.span, attribute="type", accepted=accepted)


def _field_without_equals(source: Source, field: Field) -> Exception:
    if not field.content:
        summary = "an empty field (two commas in a row, or one at an end)"
        return source.error(
            summary, span=(field.start, field.start), accepted=_SPLIT_ADVICE
        )

    summary = f"field {quoted(field.content)} is not key=value"
    accepted = _SPLIT_ADVICE
    if field.content.lower() in ("type", "bucket", "region", "name", "src", "dest"):
        accepted = (
            f"{field.content} needs a value, as in {field.content}=...; {accepted}"
        )
    return source.error(summary, span=field.span, accepted=accepted)


def _check_type(
    source: Source,
    type_field: Field,
    allowed_types: Collection[str],
    advice: str | None,
) -> None:
    value = type_field.value
    if value in allowed_types:
        return

    span = type_field.value_span
    if value in HANDLED_TYPES:
        only = " or ".join(f"type={name}" for name in allowed_types)
        summary = f"type={value} is not accepted here"
        accepted = advice or f"this command takes {only} only"
    else:
        summary = f"type={shortened(value)} is not handled by s3cache"
        if not value:
            summary = "type= has no value"
        accepted = "s3cache handles type=s3 and type=local"
        close = difflib.get_close_matches(value.strip().lower(), HANDLED_TYPES, n=1)
        if close:
            accepted = f"did you mean type={close[0]}? {accepted}"
    raise source.error(summary, span=span, attribute="type", accepted=accepted)
