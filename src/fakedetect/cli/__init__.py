"""The ``fakedetect`` command line: a thin shell over functions that return values.

Only ``typer`` is imported here; each command imports what it needs when it runs, so
``fakedetect --help`` stays fast. Each stage's commands live in their own module and
register themselves on :data:`app`.
"""

from __future__ import annotations

import sys

import typer

from fakedetect.cli import _common
from fakedetect.cli._common import app

__all__ = ["app", "main"]


def _register() -> None:
    from fakedetect.cli import data as _data  # noqa: F401

    for name in ("importers", "simulate", "features", "training", "scoring", "scale",
                 "calibration", "collect"):
        try:
            __import__(f"fakedetect.cli.{name}")
        except ModuleNotFoundError as exc:  # a stage not built yet
            if exc.name != f"fakedetect.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Run the command line; user errors print without a traceback and exit 2.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code (also passed to ``sys.exit`` when run as a script).
    """
    _register()
    code = _common.run(typer.main.get_command(app), argv)
    if argv is None:
        sys.exit(code)
    return code
