"""The README's exit status table, held to what the commands do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
# Refused before any connection: nothing listens on port 9.
NOWHERE = "type=s3,bucket=b,region=us-east-1,endpoint_url=http://127.0.0.1:9"


def exit_table() -> dict[int, str]:
    section = README.split("\n## Exit status\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", section, re.M)
    return {int(code): meaning for code, meaning in rows}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["export", "{missing}", "--cache-to", NOWHERE], id="export"),
        pytest.param(
            ["inspect", "--cache-from", "type=local,src={missing}"], id="inspect"
        ),
        pytest.param(
            ["prune", "--dry-run", "--cache-to", "type=local,dest={missing}"],
            id="prune",
        ),
    ],
)
def test_a_directory_that_does_not_exist_exits_3(
    run_cli, tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "nowhere"

    result = run_cli(*(arg.format(missing=missing) for arg in args))

    assert result.exit_code == 3, result.stderr
    assert "the directory does not exist" in exit_table()[3]


def test_a_directory_without_index_json_exits_3(run_cli, tmp_path: Path) -> None:
    result = run_cli("export", str(tmp_path), "--cache-to", NOWHERE)

    assert result.exit_code == 3, result.stderr
    assert "holds no cache (no `index.json`)" in exit_table()[3]


def test_the_table_lists_every_code() -> None:
    assert sorted(exit_table()) == [0, 1, 2, 3, 4, 130]


def test_an_import_into_a_file_exits_1(run_cli, tmp_path: Path) -> None:
    a_file = tmp_path / "cache"
    a_file.write_text("not a directory")

    result = run_cli("import", str(a_file), "--cache-from", NOWHERE + ",name=main")

    assert result.exit_code == 1, result.stderr
    assert "is a file" in result.stderr
    assert "an import into a path that is a file" in exit_table()[1]
