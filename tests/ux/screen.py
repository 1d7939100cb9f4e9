"""What a terminal shows after a program's output: enough of a VT100 to read
a rich progress display (carriage return, erase line, cursor up, colours)."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*[1-9][0-9;]*m")


def screen(output: str) -> list[str]:
    """The lines left on screen, trailing empty lines dropped."""
    lines = [""]
    row = column = 0
    for match in _CONTROL.finditer(output):
        text = match.group(0)
        if text == "\r":
            column = 0
        elif text == "\n":
            row += 1
            column = 0
            lines += [""] * (row + 1 - len(lines))
        elif match.group(2) == "K":
            lines[row] = lines[row][:column]
        elif match.group(2) == "A":
            row = max(0, row - int(match.group(1) or 1))
        elif not text.startswith("\x1b"):
            line = lines[row].ljust(column)
            lines[row] = line[:column] + text + line[column + len(text) :]
            column += len(text)
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


def bare_carriage_returns(output: str) -> int:
    """Carriage returns that redraw a line; a terminal writes \\r\\n for \\n."""
    return len(re.findall(r"\r(?!\n)", output))
