"""Shared test fixtures: a real S3 server on loopback and a way to run the CLI.

The server is SeaweedFS (``weed mini``), started once per test session with
signature checking on; every test gets a bucket of its own.
"""

from __future__ import annotations

import itertools
import json
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from devtools.seaweed import SeaweedServer
from s3cache_cli.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
_bucket_numbers = itertools.count(1)

# Variables that could make a test reach a real AWS account or host.
_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_BUCKET",
    "AWS_DEFAULT_REGION",
    "S3CACHE_CACHE_TO",
    "S3CACHE_CACHE_FROM",
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
)


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C through, however the suite was started.

    A shell without job control starts a background job (``make test &`` in
    a script) with SIGINT ignored, and every process it starts inherits that:
    the tests that press Ctrl-C on the CLI would see it carry on. A handler
    of our own, unlike an ignored signal, is reset in each child at exec.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def sigint_restored() -> Iterator[None]:
    """A command run in this process ignores Ctrl-C once it has its outcome,
    as the process is about to exit; here the next test must not inherit that."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedServer]:
    with SeaweedServer(buckets=["s3cache-warmup"]) as server:
        yield server


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's AWS config or reaches instance metadata."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDS3CACHETEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cache-test-secret-0123456789")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("NO_COLOR", raising=False)


@dataclass
class S3Bucket:
    """A fresh bucket on the test server, with the flag string that names it."""

    server: SeaweedServer
    name: str

    @property
    def client(self):
        return self.server.client()

    def spec(self, **attributes: str) -> str:
        fields = {
            "type": "s3",
            "bucket": self.name,
            "region": self.server.region,
            "endpoint_url": self.server.endpoint_url,
            "use_path_style": "true",
            **attributes,
        }
        return ",".join(f"{key}={value}" for key, value in fields.items())

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(
            Bucket=self.name,
            Key=key,
            Body=body,
            ContentType="application/octet-stream",
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def upload_tree(self, root: Path, prefix: str = "") -> None:
        """Upload every file below ``root`` under its relative path as key."""
        for path in sorted(root.rglob("*")):
            if path.is_file():
                key = prefix + path.relative_to(root).as_posix()
                self.put(key, path.read_bytes())


@pytest.fixture
def bucket(s3_server: SeaweedServer) -> Iterator[S3Bucket]:
    name = f"s3cache-test-{next(_bucket_numbers)}"
    s3_server.client().create_bucket(Bucket=name)
    yield S3Bucket(server=s3_server, name=name)
    _remove_bucket(s3_server.client(), name)


def _remove_bucket(client, name: str) -> None:
    """Each bucket holds volumes of its own; weed mini runs out after about
    seventy, so a test's bucket goes when the test ends."""
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def buildkit_s3_bucket(bucket: S3Bucket) -> S3Bucket:
    """A bucket holding BuildKit's own S3 export (caches app and app-alias)."""
    bucket.upload_tree(FIXTURES / "s3" / "run-max" / "objects")
    return bucket


@pytest.fixture
def local_fixture(tmp_path: Path):
    """Copy a BuildKit local cache fixture into a writable temporary directory."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / "local" / name, target)
        for path in target.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        return target

    return copy


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli():
    """Run ``s3cache`` in-process; returns the exit code, stdout and stderr."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        runner = CliRunner()
        result = runner.invoke(
            cli, list(args), env=env, input=input, catch_exceptions=False
        )
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
