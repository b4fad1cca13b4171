"""Reading and writing tables: CSV, Parquet and JSON Lines, written atomically.

Reading never raises anything but :class:`~fakedetect.errors.UserError` for a bad file:
truncated Parquet, non-UTF-8 CSV or a malformed JSON line become an error that names the
file and the line.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.contract import FORMATS, TABLES
from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RawTable:
    """A table as read from its file, before typing and checks.

    Attributes
    ----------
    name : str
        Contract table name.
    path : Path
        The file it came from.
    fmt : str
        ``csv``, ``parquet`` or ``jsonl``.
    frame : pandas.DataFrame
        The columns as stored (CSV columns are text).
    rows : numpy.ndarray
        For each frame row, the number a user finds it under: the line number in a CSV
        or JSON Lines file (header is line 1 in CSV), the 1-based row in Parquet.
    """

    name: str
    path: Path
    fmt: str
    frame: pd.DataFrame
    rows: np.ndarray

    @property
    def row_word(self) -> str:
        """``line`` for text formats, ``row`` for Parquet."""
        return "row" if self.fmt == "parquet" else "line"


def format_of(path: Path) -> str | None:
    """Return the format of ``path`` from its suffix, or ``None`` if unknown."""
    return FORMATS.get(path.suffix.lower())


def find_tables(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Find the file of each contract table in ``directory``.

    Parameters
    ----------
    directory : Path
        The dataset folder.

    Returns
    -------
    files : dict
        Table name to file path, for the tables present.
    problems : list of str
        Files named after a table whose format is unknown, and tables with several files.
    """
    files: dict[str, Path] = {}
    problems: list[str] = []
    for entry in sorted(directory.iterdir()):
        stem = entry.name.split(".", 1)[0]
        if stem not in TABLES or entry.name.startswith("."):
            continue
        suffix = entry.name[len(stem):]
        if entry.is_dir() or FORMATS.get(suffix.lower()) is None:
            problems.append(
                f"{entry}: unknown file format {suffix or '(no suffix)'!r} for table "
                f"{stem!r}; expected one of {', '.join(sorted(set(FORMATS)))}"
            )
            continue
        if stem in files:
            problems.append(
                f"{directory}: table {stem!r} has two files, {files[stem].name} and "
                f"{entry.name}; keep one"
            )
            continue
        files[stem] = entry
    return files, problems


def _utf8_error_line(path: Path, exc: UnicodeDecodeError) -> int:
    with path.open("rb") as fh:
        head = fh.read(exc.start) if exc.start is not None else b""
    return head.count(b"\n") + 1


def read_raw(name: str, path: Path) -> RawTable:
    """Read one table file as stored, with user-facing row numbers.

    Parameters
    ----------
    name : str
        Contract table name.
    path : Path
        File to read; its suffix decides the format.

    Returns
    -------
    RawTable

    Raises
    ------
    UserError
        If the file is empty, unreadable or of an unknown format.
    """
    import pandas as pd

    fmt = format_of(path)
    if fmt is None:
        raise UserError(f"{path}: unknown file format {path.suffix!r}",
                        hint="store tables as .csv, .parquet or .jsonl")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty",
                        hint="remove the file if the table has no data, or re-export it")
    if fmt == "csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                encoding="utf-8", engine="c")
        except UnicodeDecodeError as exc:
            line = _utf8_error_line(path, exc)
            raise UserError(f"{path} line {line}: not UTF-8 text ({exc.reason})",
                            hint="re-save the file as UTF-8") from exc
        except pd.errors.EmptyDataError as exc:
            raise UserError(f"{path}: the file is empty",
                            hint="remove it or write a header and rows") from exc
        except pd.errors.ParserError as exc:
            raise UserError(f"{path}: not a valid CSV file ({exc})",
                            hint="check quoting and the number of fields per line") from exc
        rows = np.arange(len(frame), dtype=np.int64) + 2
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise UserError(f"{path}: not a readable Parquet file ({exc})",
                            hint="the file may be truncated; write it again") from exc
        rows = np.arange(len(frame), dtype=np.int64) + 1
    else:
        frame, rows = _read_jsonl(path)
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise UserError(f"{path}: the table has no rows",
                        hint="remove the file if the table has no data")
    return RawTable(name=name, path=path, fmt=fmt, frame=frame, rows=rows)


def _read_jsonl(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    import pandas as pd

    records: list[dict[str, object]] = []
    lines: list[int] = []
    try:
        with path.open("r", encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(
                        f"{path} line {number}: malformed JSON ({exc.msg} at column "
                        f"{exc.colno})",
                        hint="each line must be one complete JSON object",
                    ) from exc
                if not isinstance(obj, dict):
                    raise UserError(
                        f"{path} line {number}: expected a JSON object, found "
                        f"{type(obj).__name__}",
                        hint="each line must be one JSON object of column: value",
                    )
                records.append(obj)
                lines.append(number)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason})",
                        hint="re-save the file as UTF-8") from exc
    frame = pd.DataFrame.from_records(records)
    return frame, np.asarray(lines, dtype=np.int64)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Readers never see a half-written file: the file appears complete or not at all.

    Parameters
    ----------
    path : path-like
        Final destination.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8) and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str],
                fmt: str | None = None) -> Path:
    """Write a frame atomically as CSV, Parquet or JSON Lines.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table. Timestamps are written as ISO 8601 UTC in text formats.
    path : path-like
        Destination; its suffix decides the format unless ``fmt`` is given.
    fmt : {"csv", "parquet", "jsonl"}, optional
        Format to write.

    Returns
    -------
    Path
        The written file.
    """
    import pandas as pd

    dest = Path(path)
    fmt = fmt or format_of(dest)
    if fmt not in {"csv", "parquet", "jsonl"}:
        raise UserError(f"{dest}: unknown output format {dest.suffix!r}",
                        hint="use .csv, .parquet or .jsonl")
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            out = frame.copy()
            for col in out.columns:
                s = out[col]
                if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s):
                    out[col] = _iso(s)
            if fmt == "csv":
                out.to_csv(tmp, index=False, lineterminator="\n")
            else:
                out.to_json(tmp, orient="records", lines=True, date_format="iso",
                            force_ascii=False)
    return dest


def _iso(series: pd.Series) -> pd.Series:
    import pandas as pd

    s = series
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize("UTC")
    else:
        s = s.dt.tz_convert("UTC")
    text = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text.where(s.notna(), None)
