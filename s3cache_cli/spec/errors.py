"""The error of a flag string that cannot be read, with the input echoed."""

from __future__ import annotations

from s3cache_cli.errors import UsageError


class SpecError(UsageError):
    """A flag string s3cache refuses (exit 2).

    The message is ready to print: what is wrong, the input echoed with carets
    under the fault, and what is accepted. ``text`` is the input with secret
    values replaced by ``***``, and ``span`` indexes into that text.
    """

    def __init__(
        self,
        message: str,
        *,
        attribute: str | None = None,
        text: str = "",
        span: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.attribute = attribute
        self.text = text
        self.span = span
