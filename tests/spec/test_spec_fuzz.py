"""Any text either reads as a spec or is refused with a SpecError, never a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from s3cache_cli.spec import LocalSpec, S3Spec, SpecError, parse_cache_spec
from s3cache_cli.spec.keys import key_roots_overlap
from s3cache_cli.spec.local import FROM_TABLE, TO_TABLE
from s3cache_cli.spec.s3 import S3_IGNORED, S3_READERS
from s3cache_cli.spec.values import REWRITTEN_PATH_PARTS, Invalid, key_prefix

KEYS = sorted(
    {"type", *S3_READERS, *S3_IGNORED, *FROM_TABLE.readers, *TO_TABLE.readers}
)
VALUE_CHARACTERS = st.sampled_from(list("abAB09-_./:;,=\"' \t\n\u00e9\u4e2d"))
VALUES = st.one_of(
    st.sampled_from(["s3", "local", "true", "0", "90m", "-1h", "min", "sha256:ab"]),
    st.text(VALUE_CHARACTERS, max_size=12),
)
ENVIRONS = st.sampled_from([{}, {"AWS_BUCKET": "b", "AWS_REGION": "r"}])


@st.composite
def flag_strings(draw: st.DrawFn) -> str:
    fields = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)))
        field = f"{key}={draw(VALUES)}" if draw(st.booleans()) else key
        if draw(st.booleans()):
            field = '"' + field.replace('"', '""') + '"'
        fields.append(field)
    return ",".join(fields)


def parse_or_refuse(text: str, direction: str, environ: dict[str, str]) -> None:
    try:
        spec = parse_cache_spec(text, direction=direction, environ=environ)
    except SpecError as error:
        assert error.message.splitlines()[0]
        assert error.span is None or 0 <= error.span[0] <= error.span[1] <= len(
            error.text
        )
    else:
        assert isinstance(spec, S3Spec | LocalSpec)
        assert spec.to_string().startswith("type=")


@given(
    st.one_of(st.text(), flag_strings()),
    st.sampled_from(["from", "to"]),
    ENVIRONS,
)
def test_any_text_parses_or_raises_spec_error(
    text: str, direction: str, environ: dict[str, str]
) -> None:
    parse_or_refuse(text, direction, environ)


NAMES = (
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1)
    .filter(lambda name: ";" not in name and name == name.strip())
    .filter(
        lambda name: all(part not in REWRITTEN_PATH_PARTS for part in name.split("/"))
    )
)
TEXTS = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]))


def is_key_prefix(text: str) -> bool:
    try:
        key_prefix(text)
    except Invalid:
        return False
    return True


PREFIXES = TEXTS.filter(is_key_prefix)


@given(
    st.builds(
        S3Spec,
        bucket=st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True),
        region=st.from_regex(r"[a-z]{2}-[a-z]+-[1-9]", fullmatch=True),
        names=st.lists(NAMES, min_size=1, max_size=3).map(tuple),
        prefix=TEXTS.map(lambda text: text + "/").filter(is_key_prefix),
        manifests_prefix=PREFIXES,
        blobs_prefix=PREFIXES,
        endpoint_url=st.one_of(st.none(), st.just("http://127.0.0.1:8333")),
        use_path_style=st.booleans(),
        upload_parallelism=st.integers(1, 64),
        touch_refresh=st.timedeltas(
            min_value=timedelta(0), max_value=timedelta(hours=2562047)
        ),
        retry_mode=st.sampled_from([None, "standard", "adaptive"]),
        retry_max_attempts=st.one_of(st.none(), st.integers(1, 20)),
        disable_accept_encoding=st.booleans(),
        mode=st.sampled_from([None, "min", "max"]),
        ignore_error=st.booleans(),
    )
)
def test_s3_flag_string_reads_back(spec: S3Spec) -> None:
    spec = spec.with_names(spec.names)  # drop specs with names a user cannot write
    assume(key_roots_overlap(spec) is None)
    reread = parse_cache_spec(spec.to_string(), direction="to", environ={})

    assert reread == S3Spec(**{**vars(spec), "warnings": reread.warnings})


@given(
    st.text(min_size=1).filter(str.isprintable),
    st.sampled_from(["from", "to"]),
    st.from_regex(r"[a-z0-9]+([._-][a-z0-9]+)*", fullmatch=True),
)
def test_local_flag_string_reads_back(path: str, direction: str, tag: str) -> None:
    spec = LocalSpec(path=Path(path), direction=direction, tag=tag)

    assert parse_cache_spec(spec.to_string(), direction=direction, environ={}) == spec
