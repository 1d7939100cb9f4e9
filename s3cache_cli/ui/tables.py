"""Tables of results: a rich table on a terminal, aligned plain text otherwise.

Plain text is what CI logs, pipes and files get: no box characters, no
colour, columns separated by two spaces, so ``grep`` and ``awk`` work on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from s3cache_cli.cli.app import App

GAP = "  "


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False  # right-aligned


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(tuple(cells))


def show_table(app: App, table: Table) -> None:
    """Print ``table`` on stdout in the form that suits where stdout goes."""
    if use_rich(app):
        _show_rich(app, table)
    else:
        for line in plain_lines(table):
            app.print(line)


def show_fields(app: App, title: str, fields: Sequence[tuple[str, str]]) -> None:
    """A titled list of ``label  value`` lines, labels aligned."""
    app.print(title)
    width = max((len(label) for label, _ in fields), default=0)
    for label, value in fields:
        app.print(f"  {label.ljust(width)}{GAP}{value}".rstrip())


def use_rich(app: App) -> bool:
    return app.stdout.isatty() and not app.plain_terminal


def plain_lines(table: Table) -> list[str]:
    """The title, the header and the rows, each column padded to its widest."""
    grid = [tuple(column.header for column in table.columns), *table.rows]
    widths = [max(len(row[i]) for row in grid) for i in range(len(table.columns))]

    lines = [table.title]
    for row in grid:
        cells = [
            _pad(cell, width, column.numeric)
            for cell, width, column in zip(row, widths, table.columns, strict=True)
        ]
        lines.append(GAP.join(cells).rstrip())
    return lines


def _pad(cell: str, width: int, numeric: bool) -> str:
    return cell.rjust(width) if numeric else cell.ljust(width)


def _show_rich(app: App, table: Table) -> None:
    from rich import box
    from rich.table import Table as RichTable

    rich_table = RichTable(
        title=table.title, title_justify="left", box=box.SIMPLE_HEAD, expand=False
    )
    for column in table.columns:
        justify = "right" if column.numeric else "left"
        rich_table.add_column(column.header, justify=justify, overflow="fold")
    for row in table.rows:
        rich_table.add_row(*row)
    app.out_console.print(rich_table)
