"""``python -m devtools.seaweed`` (``make server``): a server to try s3cache by hand.

The module runs as a user runs it, in a subprocess; what it prints is read
back and used, and the README's "Try it by hand" commands run against it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.seaweed import SeaweedServer, banner, check_bucket_name

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Banner:
    """What the server printed once it was ready."""

    lines: tuple[str, ...]

    def field(self, label: str) -> str:
        (line,) = [line for line in self.lines if line.strip().startswith(label)]
        return line.strip().removeprefix(label).strip()

    @property
    def flag_string(self) -> str:
        return self.field("flag string")

    @property
    def data_dir(self) -> Path:
        match = re.search(r"\(data in (\S+)\)", self.lines[0])
        assert match, self.lines[0]
        return Path(match.group(1))

    @property
    def export_lines(self) -> list[str]:
        return [line.strip() for line in self.lines if "export " in line]

    def environment(self) -> dict[str, str]:
        """A shell's environment after pasting the printed ``export`` lines."""
        env = shell_without_aws()
        for line in self.export_lines:
            for word in shlex.split(line)[1:]:
                name, _, value = word.partition("=")
                env[name] = value
        return env


def shell_without_aws() -> dict[str, str]:
    """The test's isolated environment less what the printed lines set."""
    printed = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "S3")
    return {k: v for k, v in os.environ.items() if k not in printed}


def start(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "devtools.seaweed", *arguments],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(process: subprocess.Popen[str]) -> Banner:
    """Lines up to the suggested first command; the server gives up after 60s."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or "s3cache inspect" not in lines[-1]:
        line = process.stdout.readline()
        assert line, f"the server ended early after {lines}"
        lines.append(line.rstrip("\n"))
    return Banner(tuple(lines))


def stop(process: subprocess.Popen[str], signum: int = signal.SIGINT) -> str:
    """Send ``signum``; the rest of what the server printed."""
    process.send_signal(signum)
    remaining, _ = process.communicate(timeout=60)
    return remaining


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], Banner]]:
    process = start("--port", "0", "--bucket", "try-it", "--bucket", "second")
    try:
        yield process, read_banner(process)
    finally:
        if process.poll() is None:
            stop(process, signal.SIGTERM)


def s3cache(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "s3cache_cli", *arguments],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def refuses_connections(endpoint: str) -> bool:
    host, port = endpoint.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return True
    return False


def test_printed_settings_reach_the_server_and_ctrl_c_cleans_up(server) -> None:
    process, printed = server
    endpoint = printed.field("endpoint")

    inspected = s3cache(
        "inspect", "--json", "--cache-from", printed.flag_string,
        env=printed.environment(),
    )  # fmt: skip

    assert inspected.returncode == 0, inspected.stderr
    document = json.loads(inspected.stdout)
    assert document["store"]["location"] == "s3://try-it/"
    assert document["caches"] == []
    assert printed.field("buckets") == "try-it, second"
    assert printed.flag_string == (
        f"type=s3,bucket=try-it,region=us-east-1,endpoint_url={endpoint},"
        "use_path_style=true"
    )
    assert printed.data_dir.is_dir()

    remaining = stop(process)

    assert process.returncode == 0
    assert remaining.splitlines()[-1] == "stopping SeaweedFS and removing its data"
    assert not printed.data_dir.exists()
    assert refuses_connections(endpoint)


def test_a_kill_cleans_up_as_ctrl_c_does(server) -> None:
    process, printed = server

    stop(process, signal.SIGTERM)

    assert process.returncode == 0
    assert not printed.data_dir.exists()
    assert refuses_connections(printed.field("endpoint"))


def test_a_taken_port_is_named() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = start("--port", str(port))
        _, errors = process.communicate(timeout=60)

    assert process.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in errors
    assert "choose another with --port" in errors


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("b2", id="too-short"),
        pytest.param("Cache", id="upper-case"),
        pytest.param("-cache", id="leading-dash"),
        pytest.param("a" * 64, id="too-long"),
        pytest.param("ci_cache", id="underscore"),
    ],
)
def test_a_bucket_name_seaweedfs_would_skip_is_refused(name: str) -> None:
    process = start("--port", "0", "--bucket", "ci-cache", f"--bucket={name}")
    output, errors = process.communicate(timeout=60)

    assert process.returncode == 2
    assert f"{name!r} is not a valid bucket name" in errors
    assert "SeaweedFS is serving" not in output


@pytest.mark.parametrize(
    "name",
    [pytest.param("b-2", id="three"), pytest.param("a" * 63, id="sixty-three")],
)
def test_valid_bucket_names_pass(name: str) -> None:
    assert check_bucket_name(name) == name


# The README's "Try it by hand", as a user follows it.


def try_it_block() -> str:
    body = README.split("\n## Try it by hand\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", body, re.S)
    assert match, "no sh block under Try it by hand"
    return match.group(1)


def test_readme_export_lines_are_what_make_server_prints() -> None:
    default = SeaweedServer(buckets=["ci-cache"], s3_port=8333)
    default.data_dir = Path("/tmp/s3cache-seaweed-example")
    printed = Banner(tuple(banner(default).splitlines()))
    readme_exports = [
        line for line in try_it_block().splitlines() if line.startswith("export ")
    ]

    assert readme_exports[:2] == printed.export_lines
    assert "make server" in README.split("\n## Try it by hand\n", 1)[1]


def test_readme_commands_run_against_the_server(server, tmp_path: Path) -> None:
    _, printed = server
    commands = [
        line.replace("/tmp/try-cache", str(tmp_path / "try-cache"))
        for line in try_it_block().splitlines()
        if line.startswith("s3cache ")
    ]
    path = f'export PATH="{Path(sys.executable).parent}:$PATH"'
    script = "\n".join([*printed.export_lines, path, *commands])

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=shell_without_aws(),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    assert len(commands) >= 4
    assert "exported tests/fixtures/local/run-max (tag latest) to s3://try-it/" in (
        done.stdout
    )
    assert "every blob is present" in done.stdout
    assert (tmp_path / "try-cache" / "index.json").is_file()
    assert "would delete the cache main" in done.stdout


ABANDONING_OWNER = """
import sys, time
from devtools.seaweed import SeaweedServer
server = SeaweedServer(buckets=["abandoned"]).start()
print(server.data_dir, server.process.pid, flush=True)
time.sleep(600)
"""


def test_the_next_server_removes_one_whose_owner_was_killed() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", ABANDONING_OWNER],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    data_dir, weed_pid = owner.stdout.readline().split()
    owner.kill()
    owner.wait()
    assert Path(data_dir).is_dir(), "SIGKILL gave the owner no chance to clean up"

    with SeaweedServer(buckets=["next"]):
        assert not Path(data_dir).exists()
        assert not _is_running(int(weed_pid))


def test_a_live_owners_server_is_left_alone() -> None:
    with SeaweedServer(buckets=["first"]) as first, SeaweedServer(buckets=["second"]):
        assert first.data_dir.is_dir()
        assert first.client().head_bucket(Bucket="first")


def _is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_stopped_server_leaves_no_logs_or_sockets_behind() -> None:
    with SeaweedServer(buckets=["tidy"]) as server:
        weed_pid, ports = server.process.pid, server.ports
        server.client().put_object(Bucket="tidy", Key="k", Body=b"x")

    temporary = [Path("/tmp"), Path(tempfile.gettempdir())]
    glog_files = [p for d in temporary for p in d.glob(f"weed*.{weed_pid}")]
    sockets = [
        path
        for port in ports
        for number in (port, port + 10000)
        for path in Path("/tmp").glob(f"seaweedfs-*-{number}.sock")
    ]
    assert glog_files == []
    assert sockets == []
