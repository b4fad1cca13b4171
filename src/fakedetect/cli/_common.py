"""Shared pieces of the command line: the app, common options and error handling."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from fakedetect.config import Config

app = typer.Typer(
    name="fakedetect",
    help="Is an influencer's audience and engagement real? Validate, simulate, featurise, "
         "train, score and explain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Project configuration (default: ./mlflow.yml).",
                 dir_okay=False),
]
LenientOpt = Annotated[
    bool,
    typer.Option("--lenient", help="Drop invalid accounts instead of failing; list them "
                                   "in a rejects file."),
]


def load(config: Path | None) -> Config:
    """Load the configuration once for a command."""
    from fakedetect.config import load_config

    return load_config(config)


def echo(message: str = "", *, err: bool = False) -> None:
    """Print a line to stdout (or stderr)."""
    typer.echo(message, err=err)


def run(command: click.Command, argv: list[str] | None) -> int:
    """Invoke ``command``; turn user errors into a message and exit code 2."""
    try:
        result = command.main(args=argv, prog_name="fakedetect", standalone_mode=False)
    except UserError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        return exc.exit_code
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    if isinstance(result, int):
        return result
    sys.stdout.flush()
    return 0


def _version(value: bool) -> None:
    if value:
        from fakedetect import __version__

        typer.echo(f"fakedetect {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """Is an influencer's audience and engagement real?"""
