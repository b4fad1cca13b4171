"""Errors a user can act on.

:class:`UserError` is raised for a user's mistake (a bad file, a wrong option); the
command line prints it without a traceback and exits with code 2. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: says what is wrong and what to do.

    Parameters
    ----------
    message : str
        What is wrong, naming the file, row and column where there is one.
    hint : str, optional
        What to do about it.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  what to do: {self.hint}"
        return self.message
