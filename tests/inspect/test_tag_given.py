"""A local spec says whether tag= was written, as an S3 spec does for name=."""

from __future__ import annotations

import pytest

from s3cache_cli.spec import parse_cache_spec


@pytest.mark.parametrize(
    ("text", "tag", "given"),
    [
        pytest.param("type=local,src=/c", "latest", False, id="default"),
        pytest.param("type=local,src=/c,tag=oci", "oci", True, id="one"),
        pytest.param("type=local,src=/c,tag=latest", "latest", True, id="explicit"),
    ],
)
def test_local_spec_says_whether_the_tag_was_given(text, tag, given) -> None:
    spec = parse_cache_spec(text, direction="from", environ={})

    assert (spec.tag, spec.tag_given) == (tag, given)
    assert "tag_given" not in spec.redacted()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("type=s3,bucket=b,region=r", None, id="s3-default"),
        pytest.param("type=s3,bucket=b,region=r,name=a;b", ["a", "b"], id="s3-names"),
        pytest.param(
            "type=s3,bucket=b,region=r,name=buildkit", ["buildkit"], id="s3-explicit"
        ),
    ],
)
def test_redacted_names_only_what_was_written(text, shown) -> None:
    spec = parse_cache_spec(text, direction="from", environ={})

    assert spec.redacted().get("names") == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("type=local,src=/c", None, id="default"),
        pytest.param("type=local,src=/c,tag=latest", "latest", id="explicit"),
    ],
)
def test_redacted_tag_only_when_written(text, shown) -> None:
    spec = parse_cache_spec(text, direction="from", environ={})

    assert spec.redacted().get("tag") == shown


def test_inspect_json_shows_no_names_nobody_wrote(buildkit_s3_bucket, run_cli) -> None:
    every = run_cli("inspect", "--json", "--cache-from", buildkit_s3_bucket.spec())
    named = run_cli(
        "inspect", "--json", "--cache-from", buildkit_s3_bucket.spec(name="app")
    )

    assert every.exit_code == 0, every.stderr
    assert "names" not in every.json["store"]["spec"]
    assert every.json["store"]["spec"]["bucket"] == buildkit_s3_bucket.name
    assert named.json["store"]["spec"]["names"] == ["app"]


def test_inspect_json_shows_no_tag_nobody_wrote(local_fixture, run_cli) -> None:
    source = local_fixture("run-max")

    every = run_cli("inspect", "--json", "--cache-from", f"type=local,src={source}")

    assert every.exit_code == 0, every.stderr
    assert "tag" not in every.json["store"]["spec"]
    assert every.json["store"]["spec"]["path"] == str(source)
