"""A bad --cache-to or --cache-from is a usage error that points at the fault."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from s3cache_cli.cli.app import App
from s3cache_cli.cli.params import CacheSpec, report_spec_notes, spec_from_argument
from s3cache_cli.spec import LocalSpec, S3Spec, SpecError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@click.command()
@click.option("--cache-from", type=CacheSpec("from"))
@click.option("--cache-to", type=CacheSpec("to", allowed_types=("s3",)))
def demo(cache_from: S3Spec | LocalSpec | None, cache_to: S3Spec | None) -> None:
    for spec in (cache_from, cache_to):
        if spec is not None:
            click.echo(spec.to_string())


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(demo, list(args), env={"AWS_REGION": "eu-west-1"})


def test_good_flag_strings_reach_the_command() -> None:
    result = run("--cache-from", "type=local,src=./c", "--cache-to", "type=s3,bucket=b")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "type=local,src=c",
        "type=s3,bucket=b,region=eu-west-1",
    ]


def test_bad_cache_to_is_a_usage_error_with_carets() -> None:
    result = run("--cache-to", "type=s3,bucket=b,use_path_style=yes")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-5:] == [
        "Error: Invalid value for '--cache-to': use_path_style: 'yes' is not a boolean",
        "  type=s3,bucket=b,use_path_style=yes",
        "                                  ^^^",
        "use_path_style takes true or false (also 1, t, T, TRUE, True and 0, f, F,",
        "FALSE, False)",
    ]


def test_usage_error_shows_usage_and_help_pointer() -> None:
    result = run("--cache-from", "type=gha")

    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: demo [OPTIONS]\nTry 'demo --help'")
    assert "Error: Invalid value for '--cache-from': type=gha is not handled" in (
        result.stderr
    )
    assert "s3cache handles type=s3 and type=local" in result.stderr


def test_command_can_take_one_type_only() -> None:
    result = run("--cache-to", "type=local,dest=c")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-4:] == [
        "Error: Invalid value for '--cache-to': type=local is not accepted here",
        "  type=local,dest=c",
        "       ^^^^^",
        "this command takes type=s3 only",
    ]


def test_usage_error_never_prints_the_secret() -> None:
    result = run(
        "--cache-to", f"type=s3,bucket=b,secret_access_key={SECRET},mode=inline"
    )

    assert result.exit_code == 2
    assert SECRET not in result.output
    assert "  type=s3,bucket=b,secret_access_key=***,mode=inline" in result.stderr


def test_an_existing_spec_passes_through() -> None:
    spec = S3Spec(bucket="b", region="r")

    assert CacheSpec("to").convert(spec, None, None) is spec


def test_only_handled_types_can_be_allowed() -> None:
    with pytest.raises(ValueError, match="allowed_types"):
        CacheSpec("to", allowed_types=("gha",))


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        pytest.param(
            "./cache",
            "from",
            LocalSpec(path=Path("cache"), direction="from"),
            id="from",
        ),
        pytest.param(
            "/tmp/out", "to", LocalSpec(path=Path("/tmp/out"), direction="to"), id="to"
        ),
        pytest.param(
            "a,b=c",
            "to",
            LocalSpec(path=Path("a,b=c"), direction="to"),
            id="not-read-as-a-flag-string",
        ),
    ],
)
def test_spec_from_argument(value: str, direction: str, expected: LocalSpec) -> None:
    assert spec_from_argument(value, direction) == expected


def test_spec_from_empty_argument() -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_argument("", "to")

    assert caught.value.attribute == "dest"
    assert caught.value.exit_code == 2


def test_report_spec_notes_warns_once_per_note() -> None:
    spec = S3Spec(
        bucket="b",
        region="r",
        ignored=("compression", "oci-mediatypes"),
        warnings=("mode=max means nothing on --cache-from; it is ignored",),
    )
    app = App(stderr=io.StringIO(), stdout=io.StringIO())

    report_spec_notes(app, spec, flag="--cache-from")

    assert app.stderr.getvalue().splitlines() == [
        "warning: --cache-from: compression, oci-mediatypes ignored: they do not "
        "apply to type=s3",
        "warning: --cache-from: mode=max means nothing on --cache-from; it is ignored",
    ]
