"""Write completions/ from the click app: ``python -m devtools.completions``.

With ``--check``, write nothing and exit 1 when a script differs from what
the commands would generate now (a test runs the same check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from s3cache_cli.cli import cli
from s3cache_cli.cli.shells import SCRIPT_NAMES, script

FOLDER = Path(__file__).resolve().parent.parent / "completions"


def expected_scripts() -> dict[Path, str]:
    return {FOLDER / name: script(shell, cli) for shell, name in SCRIPT_NAMES.items()}


def stale_scripts() -> list[Path]:
    return [
        path
        for path, text in expected_scripts().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check")
    check = parser.parse_args(argv).check

    if check:
        stale = stale_scripts()
        for path in stale:
            print(f"{path} is stale: run make completions", file=sys.stderr)
        return 1 if stale else 0

    FOLDER.mkdir(exist_ok=True)
    for path, text in expected_scripts().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(FOLDER.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
