"""A refused flag string says what to do in the words of the command at hand.

Which type a command takes, and where a directory goes, depend on the
command: export writes S3 and points at import for the other way, prune
takes either flag and says how.
"""

from __future__ import annotations

import pytest

from s3cache_cli.spec import SpecError, parse_cache_spec

# Refused before any connection: nothing listens on port 9.
NOWHERE = "type=s3,bucket=b,region=us-east-1,endpoint_url=http://127.0.0.1:9"


def advice_lines(stderr: str) -> str:
    """The words after the echoed input and its carets, joined."""
    lines = stderr.splitlines()
    carets = max(i for i, line in enumerate(lines) if line.strip().startswith("^"))
    return " ".join(line.strip() for line in lines[carets + 1 :])


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        pytest.param(
            ["prune", "--cache-to", "type=local,src=/c"],
            "prune takes the directory as dest=DIR "
            "(or --cache-from type=local,src=DIR)",
            id="prune-src-on-cache-to",
        ),
        pytest.param(
            ["prune", "--cache-from", "type=local,dest=/c"],
            "prune takes the directory as src=DIR here "
            "(or --cache-to type=local,dest=DIR)",
            id="prune-dest-on-cache-from",
        ),
        pytest.param(
            ["export", "/c", "--cache-to", "type=local,dest=/d"],
            "this command takes type=s3 only; to write a local directory from "
            "S3, use s3cache import",
            id="export-to-a-directory",
        ),
        pytest.param(
            ["import", "--cache-from", NOWHERE, "--cache-to", "type=s3,bucket=b"],
            "this command takes type=local only; to write a cache into S3, use "
            "s3cache export",
            id="import-to-s3",
        ),
        pytest.param(
            ["export", "--cache-from", "type=local,dest=/c", "--cache-to", NOWHERE],
            "--cache-from reads the directory given as src=DIR",
            id="export-keeps-the-general-words",
        ),
        pytest.param(
            ["inspect", "--cache-from", "type=local,dest=/c"],
            "--cache-from reads the directory given as src=DIR",
            id="inspect-keeps-the-general-words",
        ),
    ],
)
def test_refusals_say_what_to_do_instead(run_cli, args: list[str], advice: str) -> None:
    result = run_cli(*args)

    assert result.exit_code == 2
    assert advice_lines(result.stderr) == advice


def test_a_command_to_run_is_not_split_across_lines(run_cli) -> None:
    result = run_cli("export", "/c", "--cache-to", "type=local,dest=/d")

    assert "use" in result.stderr.splitlines()[-2]
    assert result.stderr.splitlines()[-1] == "s3cache import"


def refuse(text: str, direction: str, **options: object) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(text, direction=direction, environ={}, **options)
    return caught.value


@pytest.mark.parametrize(
    ("text", "direction", "allowed", "words"),
    [
        pytest.param(
            "type=local,dest=/d", "to", ("s3",), "TYPE ADVICE", id="type-refused"
        ),
        pytest.param(
            "type=local,src=/d", "to", ("local",), "SRC ADVICE", id="misplaced-key"
        ),
        pytest.param(
            "type=gha", "to", ("s3",), "s3cache handles type=s3", id="unknown-type"
        ),
        pytest.param(
            "type=local,dest=/d,digest=sha256:" + "a" * 64,
            "to",
            ("local",),
            "digest picks what --cache-from reads",
            id="other-misplaced-key",
        ),
    ],
)
def test_parse_uses_advice_only_for_what_it_names(
    text: str, direction: str, allowed: tuple[str, ...], words: str
) -> None:
    advice = {"type": "TYPE ADVICE", "src": "SRC ADVICE"}

    error = refuse(text, direction, allowed_types=allowed, advice=advice)

    assert error.message.splitlines()[-1].startswith(words)
