"""Broken flag strings and options through the real CLI, for every command:
always exit 2 with a message, never a traceback, never the secret.

Strings that happen to be valid are not run: they could name any directory
or host. The parser's own fuzz test covers them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3cache_cli.spec import SpecError, parse_cache_spec
from tests.reliability.conftest import SECRETS
from tests.spec.test_spec_fuzz import flag_strings

SECRET = SECRETS[0]
# Where each command takes a flag string, and which types it accepts there.
PLACES = [
    ("export", "--cache-to", "to", ("s3",)),
    ("export", "--cache-from", "from", ("s3", "local")),
    ("import", "--cache-from", "from", ("s3",)),
    ("import", "--cache-to", "to", ("local",)),
    ("inspect", "--cache-from", "from", ("s3", "local")),
    ("prune", "--cache-to", "to", ("s3", "local")),
    ("prune", "--cache-from", "from", ("s3", "local")),
]
# A valid partner for the flag under test, so only the fuzzed one can fail.
PARTNERS = {
    ("export", "--cache-to"): ["--cache-from", "type=local,src=/nonexistent"],
    ("export", "--cache-from"): ["--cache-to", "type=s3,bucket=b,region=r"],
    ("import", "--cache-from"): ["--cache-to", "type=local,dest=/nonexistent"],
    ("import", "--cache-to"): ["--cache-from", "type=s3,bucket=b,region=r"],
}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HEAVY_FUZZ = settings(FUZZ, max_examples=2000)


def with_secret(text: str, add: bool) -> str:
    return f"{text},secret_access_key={SECRET}" if add else text


def is_refused(text: str, direction: str, types: tuple[str, ...]) -> bool:
    try:
        spec = parse_cache_spec(text, direction=direction)
    except SpecError:
        return True
    return spec.type not in types


def check_refused(cli, place: tuple, text: str) -> None:
    command, flag, direction, types = place
    if not is_refused(text, direction, types):
        return

    args = [command, flag, text, *PARTNERS.get((command, flag), [])]
    result = cli(*args, "--dry-run" if command != "inspect" else "--check")

    assert result.exit_code == 2, result.output
    assert "Error: " in result.stderr or "error: " in result.stderr


STRINGS = st.one_of(st.text(max_size=60), flag_strings())


@FUZZ
@given(st.sampled_from(PLACES), STRINGS, st.booleans())
def test_a_broken_flag_string_exits_2_with_a_message(
    cli, place: tuple, text: str, secret: bool
) -> None:
    check_refused(cli, place, with_secret(text, secret))


@pytest.mark.heavy
@HEAVY_FUZZ
@given(st.sampled_from(PLACES), STRINGS, st.booleans())
def test_a_broken_flag_string_exits_2_with_a_message_many_examples(
    cli, place: tuple, text: str, secret: bool
) -> None:
    check_refused(cli, place, with_secret(text, secret))


PRUNE_OPTIONS = st.one_of(
    st.tuples(st.just("--filter"), st.text(max_size=30)),
    st.tuples(st.just("--keep-storage"), st.text(max_size=20)),
    st.tuples(st.just("--grace"), st.text(max_size=20)),
)


@FUZZ
@given(PRUNE_OPTIONS)
def test_broken_prune_options_exit_2_or_run_on_an_empty_directory(
    cli, tmp_path_factory, option: tuple[str, str]
) -> None:
    # An empty directory: a valid option makes prune fail for want of an
    # index.json (exit 1), touching nothing.
    empty = tmp_path_factory.mktemp("empty")
    result = cli(
        "prune", "--dry-run", *option, "--cache-to", f"type=local,dest={empty}"
    )

    # A valid option gets as far as the missing index.json.
    assert result.exit_code == 2 or "index.json" in result.stderr, result.output
    errors = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(("error: ", "Error: "))
    ]
    assert len(errors) == 1, result.output
    assert list(empty.iterdir()) == []
