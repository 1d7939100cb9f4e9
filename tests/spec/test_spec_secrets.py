"""Secrets in a flag string never reach an error, a repr or a rendering."""

from __future__ import annotations

import pytest

from s3cache_cli.redact import redact
from s3cache_cli.spec import SpecError, parse_cache_spec

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKENvalue"
BASE = "type=s3,bucket=b,region=r"


def refuse(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_cache_spec(text, direction="to", environ={})
    return caught.value


def everything_shown(error: SpecError) -> str:
    return "\n".join(
        [error.message, str(error), repr(error), error.text, *map(str, error.args)]
    )


def marked(error: SpecError) -> str:
    assert error.span is not None
    start, end = error.span
    return f"{error.text[:start]}[{error.text[start:end]}]{error.text[end:]}"


@pytest.mark.parametrize(
    ("text", "expected_mark"),
    [
        pytest.param(
            f"{BASE},secret_access_key={SECRET},use_path_style=yes",
            f"{BASE},secret_access_key=***,use_path_style=[yes]",
            id="fault-after-the-secret",
        ),
        pytest.param(
            f"type=s3,secret_access_key={SECRET},bucket=b,mode=inline,region=r",
            "type=s3,secret_access_key=***,bucket=b,mode=[inline],region=r",
            id="fault-between",
        ),
        pytest.param(
            f"{BASE},session_token={TOKEN},endpoint=x",
            f"{BASE},session_token=***,[endpoint]=x",
            id="session-token",
        ),
        pytest.param(
            f'{BASE},"secret_access_key={SECRET}","name=a',
            f'{BASE},"secret_access_key=***",["]name=a',
            id="quoted-secret-then-unterminated-quote",
        ),
        pytest.param(
            f'{BASE},secret_access_key={SECRET},"name=a',
            f'{BASE},secret_access_key=***,["]name=a',
            id="unterminated-quote-after-secret",
        ),
        pytest.param(
            f'{BASE},secret_access_key=abc"{SECRET}',
            f"{BASE},secret_access_key=[***]",
            id="fault-inside-the-secret",
        ),
        pytest.param(
            f"{BASE},secret_acess_key={SECRET}",
            f"{BASE},[secret_acess_key]=***",
            id="misspelled-secret-key",
        ),
        pytest.param(
            f"{BASE},SESSION_TOKEN={TOKEN},retry_mode=legacy",
            f"{BASE},SESSION_TOKEN=***,retry_mode=[legacy]",
            id="upper-case-secret-key",
        ),
        pytest.param(
            f"secret_access_key={SECRET},bucket=b",
            "secret_access_key=***,bucket=b[]",
            id="missing-type",
        ),
        pytest.param(
            f'"=,secret_access_key={SECRET}',
            '["]=,secret_access_key=***',
            id="secret-inside-an-unclosed-quote",
        ),
        pytest.param(
            f'{BASE},"name=a,session_token={TOKEN},x=y',
            f'{BASE},["]name=a,session_token=***,x=y',
            id="token-after-an-unclosed-quote",
        ),
    ],
)
def test_error_masks_the_secret_and_moves_the_carets(
    text: str, expected_mark: str
) -> None:
    error = refuse(text)

    assert SECRET not in everything_shown(error)
    assert TOKEN not in everything_shown(error)
    assert marked(error) == expected_mark


def test_carets_line_up_under_the_masked_echo() -> None:
    error = refuse(f"{BASE},secret_access_key={SECRET},use_path_style=yes")
    echo, carets = (line[2:] for line in error.message.splitlines()[1:3])

    assert echo == f"{BASE},secret_access_key=***,use_path_style=yes"
    assert echo[carets.index("^") :] == "yes"
    assert carets.strip() == "^^^"


def test_long_string_with_a_secret_is_cut_around_the_fault() -> None:
    text = (
        f"{BASE},endpoint_url=http://127.0.0.1:8333,use_path_style=true,"
        f"access_key_id=AKIDEXAMPLE,secret_access_key={SECRET},"
        f"session_token={TOKEN},upload_parallelism=zero"
    )
    error = refuse(text)
    echo, carets = (line[2:] for line in error.message.splitlines()[1:3])

    assert SECRET not in error.message and TOKEN not in error.message
    assert len(echo) <= 76
    assert echo.startswith("...")
    assert echo[carets.index("^") : len(carets)] == "zero"


def test_spec_repr_and_renderings_hide_secrets() -> None:
    spec = parse_cache_spec(
        f"{BASE},access_key_id=AKID,secret_access_key={SECRET},session_token={TOKEN}",
        direction="to",
        environ={},
    )
    shown = "\n".join([repr(spec), str(spec), spec.to_string(), str(spec.redacted())])

    assert SECRET not in shown and TOKEN not in shown
    assert spec.redacted()["secret_access_key"] == "***"
    assert spec.redacted()["session_token"] == "***"
    assert "secret_access_key=***" in spec.to_string()


def test_parsed_secrets_are_masked_in_later_output() -> None:
    parse_cache_spec(
        f"{BASE},access_key_id=AKID,secret_access_key={SECRET},session_token={TOKEN}",
        direction="to",
        environ={},
    )

    assert redact(f"key {SECRET} token {TOKEN}") == "key *** token ***"
