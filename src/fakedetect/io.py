"""Reading and writing tables: CSV, Parquet and JSON Lines, written atomically.

Reading never raises anything but :class:`FileError` (a
:class:`~fakedetect.errors.UserError`) for a bad file: an empty file, a header without
rows, truncated Parquet, non-UTF-8 text, a ragged CSV line, a malformed JSON line, a
folder where a file was expected, a file that cannot be opened. The message names the file
and, where there is one, the line.

Row numbers follow one convention everywhere (:attr:`RawTable.rows`): in CSV the line of
the file where the row starts (the header is line 1, so the first row is line 2, and
blank lines and quoted line breaks are counted as an editor counts them); in JSON Lines
the line of the file; in Parquet the 1-based row.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.contract import FORMATS, TABLES
from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Ragged CSV lines or similar shown in one message before "... and N more".
_SHOWN = 5


class FileError(UserError):
    """A table file that cannot be read as a table.

    Parameters
    ----------
    path : Path
        The file.
    message : str
        What is wrong (without the path, which is prepended).
    rule : str
        Short name of the problem: ``empty file``, ``unreadable file``,
        ``unknown file format``, ``duplicate column``.
    line : int, optional
        The line (CSV, JSON Lines) where the problem is, when known.
    hint : str, optional
        What to do about it.
    """

    def __init__(self, path: Path, message: str, *, rule: str = "unreadable file",
                 line: int | None = None, hint: str | None = None) -> None:
        where = f"{path} line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.detail = message
        self.rule = rule
        self.line = line


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
    rows : numpy.ndarray
        For each frame row, the number a user finds it under (see the module docstring).
    nested : frozenset of str
        Columns holding nested values (JSON objects or lists, Parquet structs or lists).
    arrow : pyarrow.Table or None
        The Parquet table as read, when :func:`read_raw` was asked to keep it; ``frame``
        is then converted from it on first use.
    loaded : pandas.DataFrame or None
        The frame, when it was converted at once.
    """

    name: str
    path: Path
    fmt: str
    rows: np.ndarray
    nested: frozenset[str] = field(default_factory=frozenset)
    arrow: pa.Table | None = field(default=None, repr=False)
    loaded: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The columns as stored: CSV columns are text; Parquet and JSON Lines keep their
        types (integers with missing values as ``Int64``, booleans as ``boolean``).

        Raises
        ------
        FileError
            If a kept Parquet table has a column pandas cannot hold.
        """
        if self.loaded is not None:
            return self.loaded
        assert self.arrow is not None
        return arrow_frame(self.arrow, self.path)

    @property
    def row_word(self) -> str:
        """``line`` for text formats, ``row`` for Parquet."""
        return "row" if self.fmt == "parquet" else "line"


def format_of(path: Path) -> str | None:
    """Return the format of ``path`` from its suffix, or ``None`` if unknown."""
    return FORMATS.get(path.suffix.lower())


def find_tables(directory: Path) -> tuple[dict[str, Path], list[FileError]]:
    """Find the file of each contract table in ``directory``.

    A file belongs to a table when its name up to the first dot is the table's name
    (``accounts.csv``, ``posts.parquet``); other files are ignored.

    Parameters
    ----------
    directory : Path
        The dataset folder.

    Returns
    -------
    files : dict
        Table name to file path, for the tables present with a known format.
    problems : list of FileError
        Files named after a table whose format is unknown (rule ``unknown file format``)
        and tables stored in several files (rule ``duplicate table file``).
    """
    files: dict[str, Path] = {}
    problems: list[FileError] = []
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise UserError(f"{directory}: cannot list the folder ({exc.strerror})",
                        hint="check that the folder exists and that you may read it") from exc
    known = ", ".join(sorted(FORMATS))
    for entry in entries:
        if entry.name.startswith("."):
            continue
        stem = entry.name.split(".", 1)[0]
        if stem not in TABLES:
            continue
        suffix = entry.name[len(stem):]
        fmt = FORMATS.get(suffix.lower())
        if fmt is None:
            problems.append(FileError(
                entry, f"unknown file format {suffix or '(no suffix)'!r} for table "
                       f"{stem!r}; expected one of {known}",
                rule="unknown file format",
                hint="convert the file to CSV, Parquet or JSON Lines, or rename it",
            ))
            continue
        if stem in files:
            problems.append(FileError(
                entry, f"table {stem!r} is also stored in {files[stem].name}; a table "
                       "must be one file",
                rule="duplicate table file", hint="keep one of the two files",
            ))
            continue
        files[stem] = entry
    return files, problems


def read_raw(name: str, path: Path, *, keep_arrow: bool = False) -> RawTable:
    """Read one table file as stored, with user-facing row numbers.

    Parameters
    ----------
    name : str
        Contract table name.
    path : Path
        File to read; its suffix decides the format. A Parquet table may also be a
        folder of Parquet parts (as Dask or Spark write them).
    keep_arrow : bool, default False
        For a Parquet table with plain, distinct column names and at least one row, keep
        the Arrow table (``RawTable.arrow``) and convert ``frame`` only when it is first
        used, so a caller that types columns straight from Arrow never pays for the
        conversion. Otherwise (and for other formats) the frame is converted at once.

    Returns
    -------
    RawTable

    Raises
    ------
    FileError
        If the file is empty, unreadable, of an unknown format, has no rows or
        repeats a column name.
    """
    fmt = format_of(path)
    if fmt is None:
        raise FileError(path, f"unknown file format {path.suffix!r}",
                          rule="unknown file format",
                          hint="store tables as .csv, .parquet or .jsonl")
    try:
        if path.is_dir() and fmt != "parquet":
            raise FileError(path, "is a folder, expected a file",
                              hint=f"put the {name} table in one {fmt} file")
        if not path.is_dir() and path.stat().st_size == 0:
            raise FileError(path, "the file is empty", rule="empty file",
                              hint="remove the file if the table has no data, or re-export it")
        if fmt == "csv":
            frame, rows = _read_csv(path)
            nested: frozenset[str] = frozenset()
        elif fmt == "parquet":
            table = _read_parquet_table(path)
            nested = _nested_columns(table.schema)
            rows = np.arange(table.num_rows, dtype=np.int64) + 1
            if keep_arrow and _plain_layout(table):
                return RawTable(name=name, path=path, fmt=fmt, rows=rows, nested=nested,
                                arrow=table)
            frame = arrow_frame(table, path)
        else:
            frame, rows, nested = _read_jsonl(path, name)
    except FileError:
        raise
    except (OSError, MemoryError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise FileError(path, f"cannot read the file ({reason})",
                          hint="check that the file exists and that you may read it") from exc
    names = [str(c).strip() for c in frame.columns]
    seen: set[str] = set()
    twice = sorted({c for c in names if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
    if twice:
        raise FileError(path, f"column(s) {', '.join(map(repr, twice))} appear more than "
                                "once in the header", rule="duplicate column",
                          hint="give every column a distinct name")
    frame.columns = names
    if len(frame) == 0:
        raise FileError(path, "the table has a header but no rows", rule="empty file",
                          hint="remove the file if the table has no data")
    return RawTable(name=name, path=path, fmt=fmt, rows=rows, nested=nested, loaded=frame)


def _plain_layout(table: pa.Table) -> bool:
    """Whether converting ``table`` to pandas keeps its columns as they are: at least one
    row, distinct names without surrounding spaces, and no pandas index stored as a
    column (which the conversion would move out of the columns)."""
    names = table.column_names
    if table.num_rows == 0 or len(set(names)) != len(names) or any(
            n != n.strip() for n in names):
        return False
    meta = table.schema.pandas_metadata
    if meta is None:
        return True
    if any(not isinstance(i, dict) for i in meta.get("index_columns", [])):
        return False
    stored = {c.get("field_name"): c.get("name") for c in meta.get("columns", [])}
    return all(stored.get(n, n) == n for n in names)


def _open(path: Path) -> Any:
    """Open ``path`` for binary reading (one place, so tests can simulate failures)."""
    return path.open("rb")


def _read_bytes(path: Path) -> bytes:
    with _open(path) as fh:
        return fh.read()


def _count_lines(data: bytes) -> int:
    """Lines as an editor counts them (a final line without a newline still counts)."""
    n = data.count(b"\n")
    return n + (1 if data and not data.endswith(b"\n") else 0)


def _utf8_problem(path: Path, data: bytes) -> FileError | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return FileError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be "
                                 "decoded)", line=line,
                           hint="re-save the file as UTF-8")
    return None


# -------------------------------------------------------------------------------- CSV


def _csv_records(path: Path, data: bytes) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Header, and for each record its first line and field count (Python's csv module).

    Only used on the slow path: files with blank lines, quoted line breaks or ragged
    lines, where a record's line is not its index plus two. A quote left open until the
    end of the file, which would silently swallow every line after it, is an error.
    """
    text = data.decode("utf-8-sig")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    header: list[str] | None = None
    starts: list[int] = []
    counts: list[int] = []
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = record
                continue
            starts.append(start)
            counts.append(len(record))
    except csv.Error as exc:
        line = previous + 1
        raise FileError(path, f"not a valid CSV file ({exc}); a quote opened on this line "
                              "is not closed", line=line,
                        hint="check the quotes on that line") from exc
    return header or [], np.asarray(starts, dtype=np.int64), np.asarray(counts, dtype=np.int64)


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = _read_bytes(path)
    if not data.strip():
        raise FileError(path, "the file is empty", rule="empty file",
                          hint="remove the file if the table has no data, or re-export it")
    if (bad := _utf8_problem(path, data)) is not None:
        raise bad
    first = data.decode("utf-8-sig").splitlines()[0]
    if not first.strip():
        raise FileError(path, "the first line is empty; expected the header", line=1,
                          hint="start the file with the column names")
    header = next(csv.reader([first]))
    ragged = 0

    def on_ragged(_row: object) -> str:
        nonlocal ragged
        ragged += 1
        return "skip"

    # Positional names, so every column is read as text whatever the header says.
    names = [f"_{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                             invalid_row_handler=on_ragged),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                null_values=[""], strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_shape_problem(path, data) or FileError(
            path, f"not a valid CSV file ({exc})",
            hint="check quoting and the number of fields per line") from exc
    if ragged:
        raise _csv_shape_problem(path, data) or FileError(
            path, f"{ragged} line(s) do not have as many fields as the header",
            hint="check quoting and the number of fields per line")
    table = table.rename_columns(header)
    frame = table.to_pandas()
    if _count_lines(data) == table.num_rows + 1:
        rows = np.arange(table.num_rows, dtype=np.int64) + 2
    else:
        _, starts, _ = _csv_records(path, data)
        if len(starts) == table.num_rows:
            rows = starts
        else:  # pragma: no cover - the two parsers disagree; keep the record order
            rows = np.arange(table.num_rows, dtype=np.int64) + 2
    return frame, rows


def _csv_shape_problem(path: Path, data: bytes) -> FileError | None:
    """Name the lines whose field count differs from the header's."""
    header, starts, counts = _csv_records(path, data)
    bad = np.flatnonzero(counts != len(header))
    if not bad.size:
        return None
    shown = "; ".join(f"line {starts[i]} has {counts[i]}" for i in bad[:_SHOWN])
    more = f" (and {bad.size - _SHOWN} more)" if bad.size > _SHOWN else ""
    return FileError(
        path, f"expected {len(header)} fields per line as in the header; {shown}{more}",
        line=int(starts[bad[0]]),
        hint="check quoting (a stray \" joins lines) and the separators on those lines")


# ---------------------------------------------------------------------------- Parquet


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas keeping integers with missing values exact and booleans nullable.

    Parameters
    ----------
    table : pyarrow.Table

    Returns
    -------
    pandas.DataFrame
        Integers (but ``uint64``) as ``Int64``, booleans as ``boolean``, dates as
        ``datetime64``; other columns as :meth:`pyarrow.Table.to_pandas` converts them.
    """
    import pandas as pd
    import pyarrow as pa

    def mapper(t: pa.DataType) -> object:
        if pa.types.is_integer(t) and t != pa.uint64():
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

    return table.to_pandas(types_mapper=mapper, date_as_object=False)


def _nested_columns(schema: pa.Schema) -> frozenset[str]:
    import pyarrow as pa

    return frozenset(str(f.name) for f in schema if pa.types.is_nested(f.type))


def _read_parquet_table(path: Path) -> pa.Table:
    """The Arrow table of a Parquet file (or folder of parts), binary columns as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.is_dir():
            table = pq.read_table(path)
        else:
            with _open(path) as fh:
                table = pq.read_table(fh)
        table.validate(full=True)  # a damaged page can hold text that is not UTF-8
    except PermissionError:
        raise
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
        raise FileError(path, f"not a readable Parquet file ({exc})",
                          hint="the file may be truncated or not Parquet; write it again"
                          ) from exc
    for i, f in enumerate(table.schema):
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) or (
                pa.types.is_fixed_size_binary(f.type)):
            try:
                table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
            except pa.ArrowException as exc:
                raise FileError(path, f"column {f.name!r} holds binary data that is not "
                                      "UTF-8 text", hint="store text columns as strings"
                                ) from exc
    return table


def arrow_frame(table: pa.Table, path: Path) -> pd.DataFrame:
    """Convert a table read from ``path`` to pandas as :func:`read_raw` does.

    Parameters
    ----------
    table : pyarrow.Table
    path : Path
        The file it was read from, named in the error.

    Returns
    -------
    pandas.DataFrame
        Integers as ``Int64`` (exact, missing values kept), booleans as ``boolean``.

    Raises
    ------
    FileError
        If a column cannot be held by pandas.
    """
    import pyarrow as pa

    try:
        return to_pandas(table)
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise FileError(path, f"a column cannot be read ({exc})",
                          hint="store plain numbers, text, booleans or timestamps") from exc


# ------------------------------------------------------------------------- JSON Lines


def _text_schema(name: str) -> pa.Schema:
    """Contract text columns read as text (so ``"2020-01-01"`` stays a string)."""
    import pyarrow as pa

    table = TABLES.get(name)
    cols = [] if table is None else [c.name for c in table.columns
                                     if c.kind in {"id", "string", "category", "timestamp",
                                                   "date"}]
    return pa.schema([(c, pa.string()) for c in cols])


#: Deepest nesting of arrays and objects a JSON line may hold; deeper lines are refused
#: before any parser sees them (a parser's recursion is not a safe place to find out).
MAX_JSON_DEPTH = 64
#: Bytes checked for nesting at a time (whole lines).
_DEPTH_BLOCK = 1 << 26


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The first line (1-based) whose arrays and objects nest deeper than ``limit``.

    Brackets are counted per line with numpy; only a line whose count goes past the limit
    is read again character by character, skipping strings, to be sure.

    Returns
    -------
    int or None
        The line number, or None when every line is within the limit.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    start, line0 = 0, 1
    while start < len(data):
        end = data.rfind(b"\n", start, start + _DEPTH_BLOCK) + 1 if (
            start + _DEPTH_BLOCK < len(data)) else len(data)
        if end <= start:  # one line longer than a block
            end = data.find(b"\n", start + _DEPTH_BLOCK) + 1 or len(data)
        block = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
        step = (np.isin(block, (91, 123)).astype(np.int32)
                - np.isin(block, (93, 125)).astype(np.int32))
        depth = np.cumsum(step, dtype=np.int64)
        newline = np.flatnonzero(block == 10)
        line_of = np.searchsorted(newline, np.arange(block.size), side="left")
        base = np.concatenate([[0], depth[newline]])[line_of]
        over = np.flatnonzero(depth - base > limit)
        for k in np.unique(line_of[over]).tolist():
            lo = 0 if k == 0 else int(newline[k - 1]) + 1
            hi = int(newline[k]) if k < newline.size else block.size
            if _line_depth(bytes(block[lo:hi])) > limit:
                return line0 + k
        line0 += newline.size
        start = end
    return None


def _line_depth(line: bytes) -> int:
    """Deepest nesting of one JSON line, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in line:
        if in_string:
            if escaped:
                escaped = False
            elif ch == 92:  # backslash
                escaped = True
            elif ch == 34:
                in_string = False
        elif ch == 34:
            in_string = True
        elif ch in (91, 123):
            depth += 1
            deepest = max(deepest, depth)
        elif ch in (93, 125):
            depth -= 1
    return deepest


def _read_jsonl(path: Path, name: str = "") -> tuple[pd.DataFrame, np.ndarray, frozenset[str]]:
    """Arrow's fast reader when every line is one object; the line parser otherwise."""
    import pyarrow as pa
    import pyarrow.json as pajson

    data = _read_bytes(path)
    if not data.strip():
        raise FileError(path, "the file is empty", rule="empty file",
                          hint="remove the file if the table has no data, or re-export it")
    if (deep := too_deep(data)) is not None:
        raise FileError(path, f"malformed JSON (arrays or objects nested more than "
                              f"{MAX_JSON_DEPTH} deep)", line=deep,
                        hint="each line must be one flat JSON object of column: value")
    lines = _count_lines(data)
    if not data.startswith(b"\xef\xbb\xbf"):
        try:
            table = pajson.read_json(
                pa.BufferReader(data),
                parse_options=pajson.ParseOptions(explicit_schema=_text_schema(name),
                                                  unexpected_field_behavior="infer"))
            table.validate(full=True)
            if table.num_rows == lines:
                frame = to_pandas(table)
                rows = np.arange(len(frame), dtype=np.int64) + 1
                return frame, rows, _nested_columns(table.schema)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            pass  # the line parser below names the line and the problem
    return _parse_jsonl(path, data)


def _parse_jsonl(path: Path, data: bytes) -> tuple[pd.DataFrame, np.ndarray, frozenset[str]]:
    import pandas as pd

    if (bad := _utf8_problem(path, data)) is not None:
        raise bad
    records: list[dict[str, object]] = []
    numbers: list[int] = []
    nested: set[str] = set()
    for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileError(path, f"malformed JSON ({exc.msg} at column {exc.colno})",
                              line=number,
                              hint="each line must be one complete JSON object") from exc
        except RecursionError as exc:
            raise FileError(path, "malformed JSON (nested too deeply)", line=number,
                              hint="each line must be one flat JSON object") from exc
        if not isinstance(obj, dict):
            raise FileError(path, f"expected a JSON object, found a JSON "
                                    f"{_json_kind(obj)}", line=number,
                              hint="each line must be one JSON object of column: value")
        for key, value in obj.items():
            if isinstance(value, dict | list):
                nested.add(key)
        records.append(obj)
        numbers.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return frame, np.asarray(numbers, dtype=np.int64), frozenset(nested)


def _json_kind(obj: object) -> str:
    if isinstance(obj, list):
        return "array"
    if isinstance(obj, str):
        return "string"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    return "number"


# ------------------------------------------------------------------------------ write



def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to another user
        return True
    return True


def sweep_stale(folder: Path, prefix: str) -> None:
    """Remove temporary files and folders named ``<prefix><pid>.*`` or
    ``<prefix><pid>-*`` in ``folder`` whose process no longer exists (left by a run that
    was killed); others' live work is left alone."""
    import shutil

    if not folder.is_dir():
        return
    for leftover in folder.glob(f"{glob_escape(prefix)}*"):
        rest = leftover.name[len(prefix):]
        pid = "".join(itertools.takewhile(str.isdigit, rest))
        if not pid or rest[len(pid):len(pid) + 1] not in (".", "-"):
            continue
        if int(pid) == os.getpid() or process_alive(int(pid)):
            continue
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters taken literally."""
    import glob

    return glob.escape(text)


def _writable_ancestor(path: Path) -> None:
    """Refuse a path under a file, or under a folder this process cannot write to."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{path}: {ancestor} is a file, not a folder",
                        hint="fix the path so every part before the name is a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write in {ancestor} (permission denied)",
                        hint="choose a folder you can write to, or fix its permissions")


def check_output_file(path: str | os.PathLike[str], suffixes: tuple[str, ...] = ()) -> Path:
    """Check, before any work, that a file can be written at ``path``.

    Parameters
    ----------
    path : path-like
    suffixes : tuple of str
        Accepted suffixes (e.g. ``(".csv", ".parquet", ".jsonl")``); any when empty.

    Raises
    ------
    UserError
        The path is a folder, its suffix is not accepted, a part of it is a file, or the
        folder it goes in is not writable.
    """
    out = Path(path)
    if out.is_dir():
        raise UserError(f"{out}: is a folder", hint="give a file name, e.g. "
                        f"{out / ('scores' + (suffixes[0] if suffixes else '.csv'))}")
    if suffixes and out.suffix.lower() not in suffixes:
        raise UserError(f"{out}: unknown file type {out.suffix or '(none)'!r}",
                        hint=f"use one of {', '.join(suffixes)}")
    _writable_ancestor(out)
    if out.exists() and not os.access(out, os.W_OK):
        raise UserError(f"{out}: the file is read-only", hint="choose another name")
    return out


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that a folder can be written at ``path``.

    Raises
    ------
    UserError
        The path is a file, a part of it is a file, or it cannot be written.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file, not a folder", hint="give a folder name")
    if out.is_dir():
        if not os.access(out, os.W_OK | os.X_OK):
            raise UserError(f"{out}: cannot write in this folder (permission denied)",
                            hint="choose a folder you can write to, or fix its permissions")
    else:
        _writable_ancestor(out)
    return out

@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Readers never see a half-written file: the file appears complete or not at all,
    and a failure leaves no temporary file behind.

    Parameters
    ----------
    path : path-like
        Final destination.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{final.name}."
    sweep_stale(final.parent, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp",
                               dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the file the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
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
        The table. Timestamps are written as ISO 8601 UTC (``...Z``) in text formats;
        a missing value is an empty CSV cell or a JSON ``null``.
    path : path-like
        Destination; its suffix decides the format unless ``fmt`` is given.
    fmt : {"csv", "parquet", "jsonl"}, optional
        Format to write.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    UserError
        If the format is unknown.
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
    whole = bool((s.dropna().dt.microsecond == 0).all() and (s.dropna().dt.nanosecond == 0).all())
    text = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ" if whole else "%Y-%m-%dT%H:%M:%S.%fZ")
    text = text.astype(object)
    return text.where(s.notna().to_numpy(), None)
