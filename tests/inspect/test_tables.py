"""Tables: aligned plain text off a terminal, a rich table on one."""

from __future__ import annotations

import io

import pytest

from s3cache_cli.cli.app import App
from s3cache_cli.ui.tables import Column, Table, plain_lines, show_fields, show_table


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def sample() -> Table:
    table = Table("Caches", [Column("NAME"), Column("BYTES", numeric=True)])
    table.add("app", "1,614,690")
    table.add("app-alias-long", "7")
    return table


def test_plain_columns_are_padded_and_numbers_right_aligned() -> None:
    assert plain_lines(sample()) == [
        "Caches",
        "NAME                BYTES",
        "app             1,614,690",
        "app-alias-long          7",
    ]


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        sample().add("only one")


def test_plain_text_when_stdout_is_not_a_terminal() -> None:
    app = App(stdout=io.StringIO(), stderr=io.StringIO())

    show_table(app, sample())

    assert app.stdout.getvalue().splitlines() == plain_lines(sample())


def test_rich_table_on_a_terminal(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    app = App(stdout=Terminal(), stderr=io.StringIO())

    show_table(app, sample())

    text = app.stdout.getvalue()
    assert "─" in text
    assert "app-alias-long" in text and "1,614,690" in text


def test_a_dumb_terminal_gets_plain_text(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    app = App(stdout=Terminal(), stderr=io.StringIO())

    show_table(app, sample())

    assert app.stdout.getvalue().splitlines() == plain_lines(sample())


def test_fields_are_aligned_under_a_title() -> None:
    app = App(stdout=io.StringIO(), stderr=io.StringIO())

    show_fields(app, "Storage", [("blobs", "6"), ("incomplete uploads", "none")])

    assert app.stdout.getvalue() == (
        "Storage\n  blobs               6\n  incomplete uploads  none\n"
    )
