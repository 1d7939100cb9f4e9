from __future__ import annotations

from datetime import timedelta

import pytest

from s3cache_cli.prune.filters import Filters, parse_filters


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], Filters(), id="none"),
        pytest.param(["until=24h"], Filters(until=timedelta(hours=24)), id="hours"),
        pytest.param(
            ["until=1h30m"], Filters(until=timedelta(minutes=90)), id="go-compound"
        ),
        pytest.param(["until=1s"], Filters(until=timedelta(seconds=1)), id="seconds"),
        pytest.param(["until=0"], Filters(until=timedelta(0)), id="bare-zero"),
        pytest.param(["name=pr-*"], Filters(name_globs=("pr-*",)), id="one-glob"),
        pytest.param(
            ["name=pr-*", "UNTIL=2h", "name=tmp"],
            Filters(until=timedelta(hours=2), name_globs=("pr-*", "tmp")),
            id="mixed-and-upper-case-key",
        ),
        pytest.param(["name=a=b"], Filters(name_globs=("a=b",)), id="equals-in-glob"),
    ],
)
def test_filters_buildx_accepts(values: list[str], expected: Filters) -> None:
    assert parse_filters(values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(["until=7d"], "unknown unit 'd'", id="days-are-not-go"),
        pytest.param(["until=7d"], "168h (Go has no day unit)", id="days-hint"),
        pytest.param(["until=soon"], "until=soon", id="not-a-duration"),
        pytest.param(["until=-1h"], "until=-1h is negative", id="negative"),
        pytest.param(["until=1h", "until=2h"], "until= is given twice", id="twice"),
        pytest.param(["label=x"], "unknown filter 'label=x'", id="unknown-key"),
        pytest.param(["pr-*"], "use until=DURATION", id="no-equals"),
        pytest.param(["name="], "has no value", id="empty-glob"),
    ],
)
def test_bad_filters_say_what_to_write(values: list[str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_filters(values)

    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("globs", "name", "matches"),
    [
        pytest.param((), "anything", True, id="no-glob-matches-all"),
        pytest.param(("pr-*",), "pr-42", True, id="star"),
        pytest.param(("pr-*",), "main", False, id="star-miss"),
        pytest.param(("pr-*",), "xpr-42", False, id="whole-name"),
        pytest.param(("release-1.?",), "release-1.2", True, id="question-mark"),
        pytest.param(("PR-*",), "pr-1", False, id="case-sensitive"),
        pytest.param(("main", "pr-*"), "main", True, id="any-of-several"),
        pytest.param(("team/*",), "team/app", True, id="slash"),
    ],
)
def test_name_globs_match_whole_names(
    globs: tuple[str, ...], name: str, matches: bool
) -> None:
    assert Filters(name_globs=globs).matches_name(name) is matches
