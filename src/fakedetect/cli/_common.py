"""Shared pieces of the command line: the app, common options and error handling."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print the summary as one JSON object on stdout."),
]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="The dataset folder (same as the positional DATA).",
                 show_default=False),
]
#: Library loggers kept at WARNING (ERROR for the chattiest) unless -v is given.
QUIET_LOGGERS = {"mlflow": "WARNING", "alembic": "WARNING", "lightgbm": "ERROR",
                 "distributed": "ERROR", "numba": "WARNING", "urllib3": "WARNING"}
#: Environment set for the duration of one command unless -v is given.
QUIET_ENV = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "MLFLOW_LOGGING_LEVEL": "WARNING"}


def dataset(positional: Path | None, option: Path | None, *, command: str) -> Path:
    """The dataset folder given as the positional DATA or as ``--data`` (one of them).

    Raises
    ------
    UserError
        Neither or two different folders were given.
    """
    from fakedetect.errors import UserError

    if positional is not None and option is not None and positional != option:
        raise UserError(f"two datasets given: {positional} and --data {option}",
                        hint=f"give one: fakedetect {command} DATA ...")
    folder = positional if positional is not None else option
    if folder is None:
        raise UserError(f"fakedetect {command} needs a dataset folder",
                        hint=f"fakedetect {command} DATA ... (or --data DATA)")
    return folder


#: Name endings that make an output folder name look like a file the user meant to get.
FILE_SUFFIXES = frozenset({
    ".csv", ".tsv", ".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".ndjson",
    ".parquet", ".pq", ".pdf", ".png", ".jpg", ".jpeg", ".svg", ".xlsx", ".xls", ".xml",
    ".yaml", ".yml", ".zip", ".gz", ".tar", ".log",
})


def refuse_file_name(path: Path, *, option: str = "--out", writes: str = "a folder") -> None:
    """Refuse an output folder named like a file (``out/x.csv``), before any work.

    Parameters
    ----------
    path : Path
        The folder the command would write.
    option : str
        The option that named it, for the message.
    writes : str
        What the command writes there, in words.

    Raises
    ------
    UserError
        When the name ends in one of :data:`FILE_SUFFIXES` and no folder of that name
        exists yet.
    """
    from fakedetect.errors import UserError

    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES and not path.is_dir():
        raise UserError(
            f"{option} {path}: names a {suffix} file, but this command writes {writes}",
            hint=f"give a folder name without a file extension, e.g. {option} "
                 f"{path.with_suffix('')}")


def print_json(value: object) -> None:
    """Print ``value`` as indented JSON on stdout (numpy scalars become numbers)."""
    import json

    def plain(v: object) -> object:
        item = getattr(v, "item", None)
        if callable(item):
            return item()
        return str(v)

    typer.echo(json.dumps(value, indent=2, default=plain, allow_nan=False))


@contextmanager
def quiet_libraries(verbose: bool = False) -> Iterator[None]:
    """Keep library warnings and log chatter out of one command's output.

    Warnings raised outside fakedetect (numpy's ``RuntimeWarning``, MLflow's and
    LightGBM's notices) are dropped, the chatty library loggers raised to WARNING or
    ERROR and MLflow's download bars switched off, all restored when the block ends.
    fakedetect's own log lines (``warning: ...``, the Dask cluster) go to stderr. With
    ``verbose`` nothing is hidden and fakedetect logs at DEBUG.
    """
    import os
    import warnings

    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    env = {key: os.environ.get(key) for key in QUIET_ENV}
    ours = logging.getLogger("fakedetect")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    ours_level = ours.level
    with warnings.catch_warnings():
        if not verbose:
            warnings.filterwarnings("ignore")
            warnings.filterwarnings("default", module=r"fakedetect(\.|$)")
            for name, level in QUIET_LOGGERS.items():
                logging.getLogger(name).setLevel(level)
            for key, value in QUIET_ENV.items():
                os.environ.setdefault(key, value)
        ours.addHandler(handler)
        ours.setLevel(logging.DEBUG if verbose else logging.INFO)
        try:
            yield
        finally:
            ours.removeHandler(handler)
            ours.setLevel(ours_level)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
            for key, old in env.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old


class _Formatter(logging.Formatter):
    """``warning: message`` for warnings, the bare message for information."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return text


#: Whether the running command was given ``-v`` (set by :func:`main` for its call).
_VERBOSE: ContextVar[bool] = ContextVar("fakedetect_verbose", default=False)


def verbose_requested() -> bool:
    """Whether ``-v``/``--verbose`` was given anywhere on the command line."""
    return _VERBOSE.get()


def split_verbose(argv: list[str]) -> tuple[list[str], bool]:
    """Remove ``-v``/``--verbose`` wherever it stands (before a ``--``)."""
    out: list[str] = []
    verbose = False
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in ("-v", "--verbose"):
            verbose = True
            continue
        out.append(arg)
    return out, verbose


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
    args, verbose = split_verbose(list(sys.argv[1:] if argv is None else argv))
    token = _VERBOSE.set(verbose)
    try:
        with quiet_libraries(verbose):
            result = command.main(args=args, prog_name="fakedetect", standalone_mode=False)
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
    finally:
        _VERBOSE.reset(token)
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
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v",
                     help="Show library warnings and log messages (allowed anywhere on "
                          "the line)."),
    ] = False,
) -> None:
    """Is an influencer's audience and engagement real?"""
