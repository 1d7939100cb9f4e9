"""Every way the AWS credential chain fails is exit 4, with the source named,
a hint, and no traceback or botocore warning without --debug.

Profiles and credential_process scripts are written under tmp_path, and the
endpoint is always the loopback server: botocore never reaches AWS here.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devtools.seaweed import ACCESS_KEY, SECRET_KEY
from s3cache_cli.errors import CredentialsError
from s3cache_cli.s3.client import connect
from s3cache_cli.spec import parse_cache_spec


@pytest.fixture
def aws_home(bucket, tmp_path) -> Iterator[Path]:
    """An empty AWS setup of our own: no keys in the environment, no SSO cache.

    Undone before ``bucket`` empties the test bucket with the usual keys.
    """
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "creds"))
        patch.delenv("AWS_ACCESS_KEY_ID")
        patch.delenv("AWS_SECRET_ACCESS_KEY")
        patch.setenv("AWS_PROFILE", "default")  # so that tests may change it
        yield home


def use_profile(aws_home: Path, body: str, name: str = "ci") -> None:
    """Write the profile and choose it, as AWS_PROFILE would (in ``aws_home``'s
    environment, which the test undoes)."""
    config = aws_home / ".aws" / "config"
    config.write_text(f"[profile {name}]\n" + textwrap.dedent(body))
    os.environ["AWS_PROFILE"] = name


def process_script(tmp_path: Path, *, output: str, status: int = 0) -> str:
    """A credential_process command that prints ``output`` and exits ``status``."""
    script = tmp_path / "credentials.py"
    script.write_text(
        "import sys\n"
        f"sys.stdout.write({output!r})\n"
        f"sys.stderr.write('process says no\\n' if {status} else '')\n"
        f"sys.exit({status})\n"
    )
    return f"{sys.executable} {script}"


def process_output(*, expires_in: timedelta) -> str:
    expiration = datetime.now(UTC) + expires_in
    return json.dumps(
        {
            "Version": 1,
            "AccessKeyId": ACCESS_KEY,
            "SecretAccessKey": SECRET_KEY,
            "Expiration": expiration.isoformat().replace("+00:00", "Z"),
        }
    )


def assert_clean_failure(result, message: str, hint: str | None = None) -> None:
    assert result.exit_code == 4, result.output
    assert f"error: {message}" in result.stderr
    if hint is not None:
        assert f"hint: {hint}" in result.stderr
    assert "Traceback" not in result.output
    assert "WARNING" not in result.output


def inspect(run_cli, bucket, *args: str):
    return run_cli("inspect", "--cache-from", bucket.spec(), *args)


# -- credential_process ------------------------------------------------------------


def test_expired_credential_process_output_is_exit_4(
    run_cli, bucket, aws_home, tmp_path
) -> None:
    output = process_output(expires_in=timedelta(hours=-1))
    command = process_script(tmp_path, output=output)
    use_profile(aws_home, f"credential_process = {command}\n")

    result = inspect(run_cli, bucket)

    assert_clean_failure(
        result,
        "credential_process of profile 'ci' returned credentials that have "
        "already expired (its Expiration is in the past)",
        hint="run the command of credential_process by hand",
    )


@pytest.mark.parametrize(
    ("output", "status", "reason"),
    [
        pytest.param("", 1, "process says no", id="exits-1"),
        pytest.param("not json", 0, "its output is not JSON", id="not-json"),
        pytest.param('{"Version": 2}', 0, "Unsupported version", id="version-2"),
        pytest.param('{"Version": 1}', 0, "AccessKeyId", id="no-key"),
    ],
)
def test_a_failing_credential_process_is_exit_4(
    run_cli, bucket, aws_home, tmp_path, output, status, reason
) -> None:
    command = process_script(tmp_path, output=output, status=status)
    use_profile(aws_home, f"credential_process = {command}\n")

    result = inspect(run_cli, bucket)

    assert_clean_failure(result, "credential_process of profile 'ci' failed: ")
    assert reason in result.stderr


def test_a_credential_process_that_cannot_run_is_exit_4(
    run_cli, bucket, aws_home, tmp_path
) -> None:
    missing = tmp_path / "no-such-command"
    use_profile(aws_home, f"credential_process = {missing}\n")

    result = inspect(run_cli, bucket)

    assert_clean_failure(result, "credential_process of profile 'ci' failed: ")
    assert "No such file or directory" in result.stderr


def test_fresh_credential_process_output_is_used_and_named(
    run_cli, bucket, aws_home, tmp_path
) -> None:
    output = process_output(expires_in=timedelta(hours=1))
    command = process_script(tmp_path, output=output)
    use_profile(aws_home, f"credential_process = {command}\n")

    result = inspect(run_cli, bucket, "-v")

    assert result.exit_code == 0, result.output
    assert (
        f"credentials for s3://{bucket.name}: credential_process in the AWS config"
        in (result.stderr)
    )


# -- SSO -----------------------------------------------------------------------------

LEGACY_SSO = """\
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = CacheWriter
"""

SSO_SESSION = """\
sso_session = corp
sso_account_id = 123456789012
sso_role_name = CacheWriter

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
"""


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(LEGACY_SSO, id="sso-start-url"),
        pytest.param(SSO_SESSION, id="sso-session"),
    ],
)
def test_sso_without_a_token_says_to_log_in(run_cli, bucket, aws_home, profile) -> None:
    use_profile(aws_home, profile, name="dev")

    result = inspect(run_cli, bucket)

    assert_clean_failure(
        result,
        "the AWS SSO session of profile 'dev' has expired or was never started",
        hint="run: aws sso login --profile dev",
    )


def test_sso_failure_in_json_is_a_document_with_exit_4(
    run_cli, bucket, aws_home
) -> None:
    use_profile(aws_home, LEGACY_SSO, name="dev")

    result = inspect(run_cli, bucket, "--json")

    error = result.json["error"]
    assert (error["exit_code"], error["hint"]) == (
        4,
        "run: aws sso login --profile dev",
    )


# -- profiles and config files -----------------------------------------------------


@pytest.mark.parametrize(
    "args", [pytest.param((), id="signed"), pytest.param(("--no-sign-request",))]
)
def test_a_missing_profile_is_exit_4(run_cli, bucket, aws_home, args):
    os.environ["AWS_PROFILE"] = "nope"

    result = inspect(run_cli, bucket, *args)

    assert_clean_failure(
        result,
        "the AWS profile 'nope' does not exist",
        hint="check AWS_PROFILE, and AWS_CONFIG_FILE",
    )


@pytest.mark.parametrize(
    ("file", "variable"),
    [("config", "AWS_CONFIG_FILE"), ("creds", "AWS_SHARED_CREDENTIALS_FILE")],
)
def test_a_file_that_cannot_be_parsed_is_exit_4_naming_its_variable(
    run_cli, bucket, aws_home, file: str, variable: str
) -> None:
    (aws_home / ".aws" / "config").write_text("[profile ci]\nregion = us-east-1\n")
    (aws_home / ".aws" / file).write_text("[ci\nregion = x\n")
    os.environ["AWS_PROFILE"] = "ci"

    result = inspect(run_cli, bucket)

    assert_clean_failure(
        result,
        "cannot read the AWS config for profile 'ci'",
        hint=f"fix the file, or point {variable} at another one",
    )
    assert f".aws/{file}" in result.stderr


def test_a_profile_with_half_a_key_is_exit_4(run_cli, bucket, aws_home) -> None:
    creds = aws_home / ".aws" / "creds"
    creds.write_text(f"[ci]\naws_access_key_id = {ACCESS_KEY}\n")
    os.environ["AWS_PROFILE"] = "ci"

    result = inspect(run_cli, bucket)

    assert_clean_failure(result, "could not load AWS credentials from ")
    assert "aws_secret_access_key" in result.stderr


def test_debug_shows_the_traceback_instead(run_cli, bucket, aws_home, tmp_path) -> None:
    output = process_output(expires_in=timedelta(hours=-1))
    command = process_script(tmp_path, output=output)
    use_profile(aws_home, f"credential_process = {command}\n")

    with pytest.raises(CredentialsError, match="already expired"):
        inspect(run_cli, bucket, "--debug")


# -- credentials that expire during a run ----------------------------------------------


def test_credentials_that_cannot_be_renewed_mid_run_are_a_credentials_error(
    bucket, aws_home, tmp_path
) -> None:
    # Fresh for the first look, then botocore's refresh (within 15 minutes of
    # the expiry) finds only the same near-expired credentials.
    script = tmp_path / "expiring.py"
    script.write_text(
        "import json, sys, pathlib, datetime as d\n"
        "flag = pathlib.Path(sys.argv[1])\n"
        "minutes = -5 if flag.exists() else 60\n"
        "flag.touch()\n"
        "when = d.datetime.now(d.UTC) + d.timedelta(minutes=minutes)\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': sys.argv[2],\n"
        "  'SecretAccessKey': sys.argv[3],\n"
        "  'Expiration': when.isoformat().replace('+00:00', 'Z')}))\n"
    )
    command = f"{sys.executable} {script} {tmp_path / 'seen'} {ACCESS_KEY} {SECRET_KEY}"
    use_profile(aws_home, f"credential_process = {command}\n")
    conn = connect(parse_cache_spec(bucket.spec(), direction="from"))
    credentials = conn.client._request_signer._credentials
    credentials._expiry_time = datetime.now(UTC) - timedelta(minutes=1)

    with pytest.raises(CredentialsError, match="already expired"):
        conn.client.list_objects_v2(Bucket=bucket.name)


def test_a_refused_secret_from_a_profile_names_the_profile(
    run_cli, bucket, aws_home
) -> None:
    (aws_home / ".aws" / "creds").write_text(
        f"[ci]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = wrong\n"
    )
    os.environ["AWS_PROFILE"] = "ci"

    result = inspect(run_cli, bucket)

    assert_clean_failure(
        result,
        "the secret access key does not match the key id",
        hint="the credentials came from the shared credentials file, profile 'ci'",
    )
