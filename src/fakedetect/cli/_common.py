"""Shared pieces of the command line: the app, common options and error handling."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fakedetect.errors import UserError

try:  # recent typer ships its own copy of click; older versions use click itself
    from typer._click.exceptions import ClickException as _ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import ClickException as _ClickException  # type: ignore[assignment]

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
NoCacheOpt = Annotated[
    bool,
    typer.Option("--no-cache", help="Build the features afresh, without reading or writing "
                                    "the feature cache (paths: cache: in mlflow.yml)."),
]

NJobsOpt = Annotated[
    int | None,
    typer.Option("--n-jobs", min=1, help="Threads for LightGBM and the compiled kernels "
                                         "(default: the machine's cores)."),
]

FailOnDriftOpt = Annotated[
    bool,
    typer.Option("--fail-on-drift", help="Exit with code 3 (after writing the output) when "
                                         "the batch is unlike the model's training data."),
]


def load(config: Path | None) -> Config:
    """Load the configuration once for a command."""
    from fakedetect.config import load_config

    return load_config(config)


def echo(message: str = "", *, err: bool = False) -> None:
    """Print a line to stdout (or stderr)."""
    typer.echo(message, err=err)


def _os_message(exc: OSError) -> str:
    """An operating-system error on a path, with what to do."""
    import errno

    path = exc.filename
    what = exc.strerror or type(exc).__name__
    todo = {
        errno.EACCES: "check the folder's permissions, or choose a writable place",
        errno.EPERM: "check the folder's permissions, or choose a writable place",
        errno.EROFS: "the disk is read-only: choose another place",
        errno.ENOSPC: "free some disk space, or choose another disk",
        errno.EISDIR: "give a file name, not a folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder: fix the path",
        errno.ENOENT: "check the path",
    }.get(exc.errno or 0, "check the path and try again")
    return f"{path}: {what}\n  what to do: {todo}"


def run(command: Any, argv: list[str] | None) -> int:
    """Invoke ``command``; turn user errors into a message and an exit code.

    Parameters
    ----------
    command : click.Command
        The command built from :data:`app`.
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user error, a usage error or an operating-system error on
        a path (a message on stderr naming the path, no traceback), 130 when
        interrupted, or the code the command returned. Anything else is a bug and keeps
        its traceback.
    """
    try:
        result = command.main(args=argv, prog_name="fakedetect", standalone_mode=False)
    except UserError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except _ClickException as exc:
        exc.show()
        return 2 if exc.exit_code in (0, 1) else int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.filename is None:  # not about a path of the user's: a bug
            raise
        typer.secho(f"error: {_os_message(exc)}", err=True, fg="red")
        return 2
    sys.stdout.flush()
    if isinstance(result, int) and not isinstance(result, bool):
        return result
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
