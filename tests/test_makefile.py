"""The Makefile's comments say what its targets do."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")


def described(target: str) -> str:
    """The ``## target:`` comment above a target, its lines joined."""
    match = re.search(rf"^## {target}: (.*?)\n(?!##)", MAKEFILE, re.S | re.M)
    assert match, f"no comment for {target}"
    return " ".join(match.group(1).replace("##", " ").split())


def recipe(target: str) -> str:
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert match, f"no target {target}"
    return match.group(1)


def test_demo_comment_names_each_step_the_demo_runs() -> None:
    words = described("demo")

    steps = ["export", "inspect --check", "import", "compare"]
    assert [words.find(step) >= 0 for step in steps] == [True] * len(steps)
    assert sorted(steps, key=words.find) == steps
    assert "devtools.demo" in recipe("demo")


def test_server_runs_the_seaweed_module() -> None:
    assert "devtools.seaweed" in recipe("server")
    assert "Ctrl-C" in described("server")
    assert "server" in re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.M).group(1).split()
