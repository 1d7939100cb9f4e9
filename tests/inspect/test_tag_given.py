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
