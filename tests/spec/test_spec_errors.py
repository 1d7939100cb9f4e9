"""Flag strings s3cache refuses: each error names the attribute, marks the
fault with carets under the echoed input, and says what is accepted."""

from __future__ import annotations

import pytest

from s3cache_cli.errors import ExitCode, UsageError
from s3cache_cli.spec import SpecError, parse_cache_spec

BASE = "type=s3,bucket=b,region=r"
SHA = "sha256:" + "a" * 64


def refuse(text: str, direction: str = "to", **options: object) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(text, direction=direction, environ={}, **options)
    return caught.value


def marked(error: SpecError) -> str:
    """The (masked) input with the fault in brackets: ``use_path_style=[yes]``."""
    assert error.span is not None
    start, end = error.span
    return f"{error.text[:start]}[{error.text[start:end]}]{error.text[end:]}"


def echo_and_carets(error: SpecError) -> tuple[str, str]:
    lines = error.message.splitlines()
    assert lines[1].startswith("  ") and lines[2].startswith("  ")
    return lines[1][2:], lines[2][2:]


def carets_match_span(error: SpecError) -> bool:
    """On a short plain input, the carets sit exactly under ``span``."""
    echo, carets = echo_and_carets(error)
    start, end = error.span or (0, 0)
    expected = " " * start + "^" * max(1, end - start)
    return echo == error.text and carets == expected


CASES = [
    # (text, direction, attribute, marked input, part of what is accepted)
    pytest.param(
        f"{BASE},use_path_style=yes",
        "to",
        "use_path_style",
        f"{BASE},use_path_style=[yes]",
        "true or false (also 1, t, T, TRUE, True and 0, f, F, FALSE, False)",
        id="bad-boolean",
    ),
    pytest.param(
        f"{BASE},use_path_style=",
        "to",
        "use_path_style",
        f"{BASE},use_path_style=[]",
        "true or false",
        id="empty-boolean",
    ),
    pytest.param(
        f"{BASE},ignore-error=on,bucket=c",
        "from",
        "ignore-error",
        f"{BASE},ignore-error=[on],bucket=c",
        "true or false",
        id="bad-ignore-error",
    ),
    pytest.param(
        f"{BASE},touch_refresh=1d",
        "to",
        "touch_refresh",
        f"{BASE},touch_refresh=[1d]",
        "a Go duration such as 90m, 1h30m, 36h, 1.5h or 300ms",
        id="duration-in-days",
    ),
    pytest.param(
        f"{BASE},touch_refresh=-1h",
        "to",
        "touch_refresh",
        f"{BASE},touch_refresh=[-1h]",
        "a Go duration",
        id="negative-duration",
    ),
    pytest.param(
        f"{BASE},touch_refresh=90",
        "to",
        "touch_refresh",
        f"{BASE},touch_refresh=[90]",
        "units h, m, s, ms, us, ns",
        id="duration-without-unit",
    ),
    pytest.param(
        f"{BASE},upload_parallelism=0",
        "to",
        "upload_parallelism",
        f"{BASE},upload_parallelism=[0]",
        "a whole number of 1 or more, such as 4",
        id="zero-parallelism",
    ),
    pytest.param(
        f"{BASE},upload_parallelism=four",
        "to",
        "upload_parallelism",
        f"{BASE},upload_parallelism=[four]",
        "a whole number of 1 or more",
        id="word-parallelism",
    ),
    pytest.param(
        f"{BASE},upload_parallelism=-2",
        "to",
        "upload_parallelism",
        f"{BASE},upload_parallelism=[-2]",
        "a whole number of 1 or more",
        id="negative-parallelism",
    ),
    pytest.param(
        f"{BASE},upload_parallelism=1.5",
        "to",
        "upload_parallelism",
        f"{BASE},upload_parallelism=[1.5]",
        "a whole number of 1 or more",
        id="fractional-parallelism",
    ),
    pytest.param(
        f"{BASE},upload_parallelism=99999999999",
        "to",
        "upload_parallelism",
        f"{BASE},upload_parallelism=[99999999999]",
        "below 10**9",
        id="huge-parallelism",
    ),
    pytest.param(
        f"{BASE},retry_mode=legacy",
        "to",
        "retry_mode",
        f"{BASE},retry_mode=[legacy]",
        "standard or adaptive",
        id="legacy-retry-mode",
    ),
    pytest.param(
        f"{BASE},retry_max_attempts=0",
        "to",
        "retry_max_attempts",
        f"{BASE},retry_max_attempts=[0]",
        "a whole number of 1 or more",
        id="zero-attempts",
    ),
    pytest.param(
        f"{BASE},mode=inline",
        "to",
        "mode",
        f"{BASE},mode=[inline]",
        "min or max",
        id="inline-mode",
    ),
    pytest.param(
        f"{BASE},mode=all",
        "from",
        "mode",
        f"{BASE},mode=[all]",
        "min or max",
        id="bad-mode-on-from",
    ),
    pytest.param(
        f"{BASE},name=a;",
        "to",
        "name",
        f"{BASE},name=a;[]",
        "one or more cache names separated by ';'",
        id="empty-last-name",
    ),
    pytest.param(
        f"{BASE},name=;a",
        "to",
        "name",
        f"{BASE},name=[];a",
        "separated by ';'",
        id="empty-first-name",
    ),
    pytest.param(
        f"{BASE},name=a;;b",
        "to",
        "name",
        f"{BASE},name=a;[];b",
        "separated by ';'",
        id="empty-middle-name",
    ),
    pytest.param(
        f"{BASE},name=",
        "to",
        "name",
        f"{BASE},name=[]",
        "separated by ';'",
        id="empty-name",
    ),
    pytest.param(
        f"{BASE},name=main; pr-1",
        "to",
        "name",
        f"{BASE},name=main;[ pr-1]",
        "separated by ';'",
        id="name-with-space",
    ),
    pytest.param(
        f"{BASE},endpoint=http://h",
        "to",
        "endpoint",
        f"{BASE},[endpoint]=http://h",
        "did you mean 'endpoint_url'?",
        id="unknown-key-suggests",
    ),
    pytest.param(
        f"{BASE},ignore_error=true",
        "to",
        "ignore_error",
        f"{BASE},[ignore_error]=true",
        "did you mean 'ignore-error'?",
        id="underscore-for-dash",
    ),
    pytest.param(
        "type=s3, bucket=b,region=r",
        "to",
        " bucket",
        "type=s3,[ bucket]=b,region=r",
        "did you mean 'bucket'? (no space around a key)",
        id="space-before-key",
    ),
    pytest.param(
        f"{BASE},colour=blue",
        "to",
        "colour",
        f"{BASE},[colour]=blue",
        "type=s3 on --cache-to takes bucket, region, name, prefix",
        id="unknown-key-lists-keys",
    ),
    pytest.param(
        f"{BASE},=x",
        "to",
        "",
        f"{BASE},[]=x",
        "type=s3 on --cache-to takes bucket",
        id="empty-key",
    ),
    pytest.param(
        "type=local,src=c,bucket=b",
        "from",
        "bucket",
        "type=local,src=c,[bucket]=b",
        "type=local on --cache-from takes src, tag, digest, mode, ignore-error",
        id="s3-key-on-local",
    ),
    pytest.param(
        f"{BASE},src=x",
        "from",
        "src",
        f"{BASE},[src]=x",
        "type=s3 on --cache-from takes",
        id="local-key-on-s3",
    ),
    pytest.param(
        f"{BASE},use_path_style",
        "to",
        None,
        f"{BASE},[use_path_style]",
        "each field is key=value",
        id="field-without-equals",
    ),
    pytest.param(
        f"{BASE},name=a,b",
        "to",
        None,
        f"{BASE},name=a,[b]",
        'quote the field: "name=a,b"',
        id="unquoted-comma",
    ),
    pytest.param(
        f"{BASE},",
        "to",
        None,
        f"{BASE},[]",
        "each field is key=value",
        id="trailing-comma",
    ),
    pytest.param(
        "type=s3,,bucket=b,region=r",
        "to",
        None,
        "type=s3,[],bucket=b,region=r",
        "each field is key=value",
        id="double-comma",
    ),
    pytest.param(
        f'{BASE},""',
        "to",
        None,
        f'{BASE},[]""',
        "each field is key=value",
        id="empty-quoted-field",
    ),
    pytest.param(
        "type=registry,ref=user/app:cache",
        "from",
        "type",
        "type=[registry],ref=user/app:cache",
        "s3cache handles type=s3 and type=local",
        id="registry",
    ),
    pytest.param(
        "type=gha,scope=main",
        "to",
        "type",
        "type=[gha],scope=main",
        "s3cache handles type=s3 and type=local",
        id="gha",
    ),
    pytest.param(
        "type=inline",
        "to",
        "type",
        "type=[inline]",
        "s3cache handles type=s3 and type=local",
        id="inline",
    ),
    pytest.param(
        "type=azblob,name=x",
        "to",
        "type",
        "type=[azblob],name=x",
        "s3cache handles type=s3 and type=local",
        id="azblob",
    ),
    pytest.param(
        "user/app:cache",
        "from",
        "type",
        "[user/app:cache]",
        "s3cache handles type=s3 and type=local",
        id="bare-image-reference",
    ),
    pytest.param(
        "s3",
        "from",
        "type",
        "[s3]",
        "did you mean type=s3?",
        id="bare-type-name",
    ),
    pytest.param(
        "type=S3,bucket=b,region=r",
        "to",
        "type",
        "type=[S3],bucket=b,region=r",
        "did you mean type=s3?",
        id="type-upper-case",
    ),
    pytest.param(
        "type=,bucket=b",
        "to",
        "type",
        "type=[],bucket=b",
        "s3cache handles type=s3 and type=local",
        id="empty-type",
    ),
    pytest.param(
        "bucket=b,region=r",
        "to",
        "type",
        "bucket=b,region=r[]",
        "s3cache handles type=s3 and type=local",
        id="missing-type",
    ),
    pytest.param(
        "type=s3,region=r",
        "to",
        "bucket",
        "type=s3,region=r[]",
        "add bucket=my-cache to the flag string, or set AWS_BUCKET",
        id="missing-bucket",
    ),
    pytest.param(
        "type=s3,bucket=b",
        "to",
        "region",
        "type=s3,bucket=b[]",
        "add region=eu-west-1 to the flag string, or set AWS_REGION",
        id="missing-region",
    ),
    pytest.param(
        "type=s3,bucket=,region=r",
        "to",
        "bucket",
        "type=s3,bucket=[],region=r",
        "a bucket name alone",
        id="empty-bucket",
    ),
    pytest.param(
        "type=s3,bucket=cache/team1,region=r",
        "to",
        "bucket",
        "type=s3,bucket=cache[/]team1,region=r",
        "put folders in prefix=team1/",
        id="bucket-with-folder",
    ),
    pytest.param(
        "type=s3,bucket=b,region=eu west",
        "to",
        "region",
        "type=s3,bucket=b,region=eu[ ]west",
        "a region name, such as eu-west-1",
        id="region-with-space",
    ),
    pytest.param(
        f"{BASE},endpoint_url=127.0.0.1:8333",
        "to",
        "endpoint_url",
        f"{BASE},endpoint_url=[127.0.0.1:8333]",
        "such as http://127.0.0.1:8333",
        id="endpoint-without-scheme",
    ),
    pytest.param(
        f"{BASE},endpoint_url=http://h:99999",
        "to",
        "endpoint_url",
        f"{BASE},endpoint_url=[http://h:99999]",
        "http:// or https://",
        id="endpoint-bad-port",
    ),
    pytest.param(
        f'{BASE},"name=a,b',
        "to",
        None,
        f'{BASE},["]name=a,b',
        'close the field with a quote: "name=a,b"',
        id="unterminated-quote",
    ),
    pytest.param(
        f'{BASE},name="a,b"',
        "to",
        None,
        f'{BASE},name=["]a,b"',
        'quote the whole field, as in "name=a,b"',
        id="quote-inside-field",
    ),
    pytest.param(
        f'{BASE},"name=a"b',
        "to",
        None,
        f'{BASE},"name=a"[b]',
        "a closing quote ends the field",
        id="text-after-closing-quote",
    ),
    pytest.param(
        f"{BASE},name=a\nb",
        "to",
        None,
        f"{BASE},name=a[\n]b",
        "a flag string is one line of printable text",
        id="newline",
    ),
    pytest.param(
        "type=local,dest=c",
        "from",
        "dest",
        "type=local,[dest]=c",
        "--cache-from reads the directory given as src=DIR",
        id="dest-on-cache-from",
    ),
    pytest.param(
        "type=local,src=c",
        "to",
        "src",
        "type=local,[src]=c",
        "--cache-to writes to the directory given as dest=DIR",
        id="src-on-cache-to",
    ),
    pytest.param(
        f"type=local,dest=c,digest={SHA}",
        "to",
        "digest",
        f"type=local,dest=c,[digest]={SHA}",
        "digest picks what --cache-from reads",
        id="digest-on-cache-to",
    ),
    pytest.param(
        "type=local,tag=v1",
        "from",
        "src",
        "type=local,tag=v1[]",
        "src is the directory to read, e.g. src=./cache",
        id="missing-src",
    ),
    pytest.param(
        "type=local",
        "to",
        "dest",
        "type=local[]",
        "dest is the directory to write, e.g. dest=./cache",
        id="missing-dest",
    ),
    pytest.param(
        "type=local,src=",
        "from",
        "src",
        "type=local,src=[]",
        "a directory path",
        id="empty-src",
    ),
    pytest.param(
        "type=local,src=c,digest=sha256:abc",
        "from",
        "digest",
        "type=local,src=c,digest=[sha256:abc]",
        "sha256: and 64 lower-case hex digits, or sha512: and 128",
        id="short-digest",
    ),
    pytest.param(
        "type=local,src=c,digest=sha256:" + "A" * 64,
        "from",
        "digest",
        "type=local,src=c,digest=[sha256:" + "A" * 64 + "]",
        "lower-case hex",
        id="upper-case-digest",
    ),
    pytest.param(
        "type=local,src=c,digest=md5:" + "a" * 32,
        "from",
        "digest",
        "type=local,src=c,digest=[md5:" + "a" * 32 + "]",
        "sha256:",
        id="other-algorithm",
    ),
    pytest.param(
        "type=local,src=c,tag=",
        "from",
        "tag",
        "type=local,src=c,tag=[]",
        "such as latest or v1.2",
        id="empty-tag",
    ),
    pytest.param(
        "type=local,dest=c,tag=../x",
        "to",
        "tag",
        "type=local,dest=c,tag=[../x]",
        "such as latest or v1.2",
        id="path-like-tag",
    ),
    pytest.param(
        "type=local,dest=c,image-manifest=true,oci-mediatypes=false",
        "to",
        "oci-mediatypes",
        "type=local,dest=c,image-manifest=true,oci-mediatypes=[false]",
        "drop oci-mediatypes=false, or write image-manifest=false",
        id="docker-types-with-image-manifest",
    ),
    pytest.param(
        "type=local,dest=c,image-manifest=yes",
        "to",
        "image-manifest",
        "type=local,dest=c,image-manifest=[yes]",
        "true or false",
        id="bad-image-manifest",
    ),
]


@pytest.mark.parametrize(
    ("text", "direction", "attribute", "expected_mark", "accepted"), CASES
)
def test_refused_flag_string(
    text: str, direction: str, attribute: str | None, expected_mark: str, accepted: str
) -> None:
    error = refuse(text, direction)

    assert error.attribute == attribute
    assert marked(error) == expected_mark
    assert accepted in " ".join(error.message.splitlines()[3:])
    if text.isprintable() and len(text) <= 76:
        assert carets_match_span(error)


@pytest.mark.parametrize(
    ("text", "attribute", "summary"),
    [
        pytest.param(
            f"{BASE},use_path_style=yes",
            "use_path_style",
            "use_path_style: 'yes' is not a boolean",
            id="value",
        ),
        pytest.param(
            f"{BASE},endpoint=x",
            "endpoint",
            "unknown key 'endpoint' for type=s3 on --cache-to",
            id="key",
        ),
        pytest.param(
            f"{BASE},use_path_style",
            None,
            "field 'use_path_style' is not key=value",
            id="field",
        ),
        pytest.param(
            "user/app:cache",
            "type",
            "'user/app:cache' has no type=; buildx would read it as a registry "
            "image (type=registry,ref=...)",
            id="bare-reference",
        ),
    ],
)
def test_first_line_says_what_is_wrong(
    text: str, attribute: str | None, summary: str
) -> None:
    error = refuse(text)

    assert error.message.splitlines()[0] == summary
    assert error.attribute == attribute


def test_whole_message_for_a_bad_boolean() -> None:
    error = refuse(f"{BASE},use_path_style=yes")

    assert error.message == (
        "use_path_style: 'yes' is not a boolean\n"
        "  type=s3,bucket=b,region=r,use_path_style=yes\n"
        "                                           ^^^\n"
        "use_path_style takes true or false (also 1, t, T, TRUE, True and 0, f, F,\n"
        "FALSE, False)"
    )


def test_spec_error_is_a_usage_error_with_exit_code_2() -> None:
    error = refuse(f"{BASE},mode=inline")

    assert isinstance(error, UsageError)
    assert error.exit_code == ExitCode.USAGE == 2


@pytest.mark.parametrize("text", ["", "   "], ids=["empty", "blank"])
def test_empty_flag_string(text: str) -> None:
    error = refuse(text)

    assert error.attribute == "type"
    assert error.message.startswith("the flag string is empty")
    assert "type=s3,bucket=NAME,region=REGION" in error.message


def test_missing_region_mentions_aws_default_region_is_not_read() -> None:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(
            "type=s3,bucket=b", direction="to", environ={"AWS_DEFAULT_REGION": "x"}
        )

    message = " ".join(caught.value.message.splitlines())
    assert "(AWS_DEFAULT_REGION is not read for this, as in BuildKit)" in message


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        pytest.param({"AWS_BUCKET": "", "AWS_REGION": "r"}, "AWS_BUCKET", id="bucket"),
        pytest.param({"AWS_BUCKET": "b", "AWS_REGION": ""}, "AWS_REGION", id="region"),
    ],
)
def test_empty_environment_variable_counts_as_unset(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec("type=s3", direction="to", environ=environ)

    assert f"or set {variable}" in caught.value.message


def test_bad_bucket_from_environment_names_the_variable() -> None:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(
            "type=s3", direction="to", environ={"AWS_BUCKET": "a/b", "AWS_REGION": "r"}
        )

    assert caught.value.attribute == "bucket"
    assert caught.value.message.startswith(
        "AWS_BUCKET (read for the missing bucket): 'a/b' holds a '/'"
    )


def test_type_outside_allowed_types() -> None:
    error = refuse("type=local,dest=c", allowed_types=("s3",))

    assert error.attribute == "type"
    assert marked(error) == "type=[local],dest=c"
    assert error.message.splitlines()[-1] == "this command takes type=s3 only"


def test_unknown_key_is_reported_before_a_bad_value() -> None:
    error = refuse(f"{BASE},use_path_style=yes,regoin=x")

    assert error.attribute == "regoin"
    assert "did you mean 'region'?" in error.message


def test_bad_value_of_a_repeated_key_points_at_the_last_one() -> None:
    error = refuse(f"{BASE},mode=max,mode=mid")

    assert marked(error) == f"{BASE},mode=max,mode=[mid]"


def test_quoted_field_error_points_into_the_quotes() -> None:
    error = refuse(f'{BASE},"name=a,,b;"')

    assert marked(error) == f'{BASE},"name=a,,b;[]"'


def test_escaped_quote_moves_the_carets() -> None:
    error = refuse(f'{BASE},"mode=""min"""')

    assert marked(error) == f'{BASE},"mode=[""min""]"'
