"""The partitioned layout: every table a folder of Parquet parts, split by account.

``repartition`` rewrites a dataset so that table ``T`` becomes the folder ``T.parquet/``
holding ``part-00000.parquet`` ... ``part-{N-1}.parquet``. A row goes to part
``hash(account_id) mod N``, with one fixed hash, so all rows of one account (its profile,
snapshots, posts, comments, audience sample and label) share a part number across tables,
and part ``k`` of every table together form a complete dataset of their own. Each part of a
table has the same Arrow schema, so the folder also reads as one table
(:func:`fakedetect.io.read_raw`) and ``fakedetect validate`` checks the whole layout.

A file ``_partitions.json`` at the top records the number of parts, the hash and the rows
per table; the Dask engine reads it to know what to schedule.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fakedetect.dataset import Dataset

#: The file at the top of a partitioned dataset.
LAYOUT_FILE = "_partitions.json"
#: Version of the layout file.
LAYOUT_VERSION = 1
#: The fixed 16-byte key of the account hash; changing it would move every account.
HASH_KEY = "fakedetect-part1"
#: Name of part ``k`` inside a table folder.
PART_NAME = "part-{:05d}.parquet"
#: Rows read from a source file at a time.
BATCH_ROWS = 1 << 20
#: Bytes buffered across all parts before they are flushed as row groups.
BUFFER_BYTES = 256 << 20
#: Most parts a layout may have (one open file per part while a table is written).
MAX_PARTITIONS = 4096


@dataclass(frozen=True)
class Layout:
    """A partitioned dataset, as described by its ``_partitions.json``.

    Attributes
    ----------
    root : Path
        The dataset folder.
    partitions : int
        Parts per table.
    tables : dict
        Table name to its row count.
    """

    root: Path
    partitions: int
    tables: dict[str, int]

    def part(self, table: str, k: int) -> Path:
        """The file of part ``k`` of ``table``."""
        return self.root / f"{table}.parquet" / PART_NAME.format(k)


def canonical_ids(values: pd.Series) -> pd.Series:
    """Account ids as text, the way validation reads them (whole numbers lose ``.0``).

    Parameters
    ----------
    values : pandas.Series
        An ``account_id`` column as stored (text, integers, floats or a mix).

    Returns
    -------
    pandas.Series
        ``string`` dtype, stripped; missing stays missing.
    """
    from fakedetect.validate.columns import as_text

    return as_text(values, np.zeros(len(values), dtype=bool)).str.strip()


def partition_of(ids: pd.Series, partitions: int) -> np.ndarray:
    """Part number of every row: a fixed hash of the account id, modulo ``partitions``.

    Parameters
    ----------
    ids : pandas.Series
        Account ids as stored; they are first made canonical (:func:`canonical_ids`),
        so ``7``, ``7.0`` and ``" 7"`` land together. Missing ids go to part 0.
    partitions : int
        Number of parts.

    Returns
    -------
    numpy.ndarray
        int64 part numbers in ``[0, partitions)``.
    """
    from pandas.util import hash_array

    text = canonical_ids(ids)
    missing = text.isna().to_numpy(dtype=bool)
    values = np.asarray(text.fillna(""), dtype=object)
    hashed = hash_array(values, encoding="utf8", hash_key=HASH_KEY, categorize=True)
    part = (hashed % np.uint64(partitions)).astype(np.int64)
    part[missing] = 0
    return part


def read_layout(root: str | os.PathLike[str]) -> Layout | None:
    """The layout of a partitioned dataset, or ``None`` when ``root`` is not one.

    Raises
    ------
    UserError
        The layout file is unreadable, or a table folder lacks a part.
    """
    base = Path(root)
    path = base / LAYOUT_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        n = int(doc["partitions"])
        tables = {str(k): int(v) for k, v in doc["tables"].items()}
        version = int(doc.get("version", 0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{path}: unreadable partition layout ({exc})",
                        hint="write the layout again with `fakedetect repartition`") from exc
    if version != LAYOUT_VERSION or n < 1:
        raise UserError(f"{path}: layout version {version} with {n} part(s) is not "
                        f"supported (this fakedetect writes version {LAYOUT_VERSION})",
                        hint="write the layout again with `fakedetect repartition`")
    layout = Layout(base, n, tables)
    for table in tables:
        missing = [k for k in (0, n - 1) if not layout.part(table, k).is_file()]
        if missing:
            raise UserError(f"{layout.part(table, missing[0])}: part missing from the "
                            f"partitioned layout ({n} parts per table)",
                            hint="write the layout again with `fakedetect repartition`")
    return layout


def require_layout(root: str | os.PathLike[str]) -> Layout:
    """:func:`read_layout`, with a clear error when ``root`` is not partitioned."""
    base = Path(root)
    if not base.is_dir():
        raise UserError(f"{base}: no such dataset folder")
    layout = read_layout(base)
    if layout is None:
        raise UserError(
            f"{base}: not a partitioned dataset (no {LAYOUT_FILE}); the Dask engine needs "
            "every table split by account",
            hint=f"run `fakedetect repartition {base} --out {base}-parts --partitions N` "
                 "and pass the new folder")
    return layout


# ------------------------------------------------------------------------- writing


def _source_batches(name: str, path: Path, batch_rows: int) -> tuple[pa.Schema,
                                                                    Iterator[pa.Table]]:
    """The schema of a table file and its rows in file order, a batch at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fakedetect.io import FileError, format_of, read_raw

    if format_of(path) == "parquet":
        try:
            files = (sorted(pq.ParquetDataset(path).files) if path.is_dir()
                     else [str(path)])
            schema = pq.read_schema(files[0]) if files else None
        except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
            raise FileError(path, f"not a readable Parquet file ({exc})",
                            hint="the file may be truncated or not Parquet; write it again"
                            ) from exc
        if schema is None:
            raise FileError(path, "the folder holds no Parquet part", rule="empty file")
        schema = _plain_schema(schema.remove_metadata())

        def parquet() -> Iterator[pa.Table]:
            for file in files:
                try:
                    handle = pq.ParquetFile(file)
                    for batch in handle.iter_batches(batch_size=batch_rows):
                        yield pa.Table.from_batches([batch]).cast(schema)
                except (pa.ArrowException, OSError, ValueError) as exc:
                    raise FileError(Path(file), f"not a readable Parquet file ({exc})",
                                    hint="the file may be truncated or not Parquet; "
                                         "write it again") from exc

        return schema, parquet()
    raw = read_raw(name, path)  # text formats are read whole, as validation reads them
    try:
        table = pa.Table.from_pandas(raw.frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise FileError(path, f"a column cannot be stored in Parquet ({exc})",
                        hint="give every column one type (text, number, boolean)") from exc
    table = table.replace_schema_metadata(None)
    table = table.cast(_plain_schema(table.schema))

    def text() -> Iterator[pa.Table]:
        for start in range(0, table.num_rows, batch_rows):
            yield table.slice(start, batch_rows)

    return table.schema, text()


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """Dictionary columns as their values: a part must not carry the dictionary of the
    whole table (a million account ids in every part)."""
    import pyarrow as pa

    fields = [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
              for f in schema]
    return pa.schema(fields, metadata=schema.metadata)


class _PartWriter:
    """One table's ``N`` part files, filled by buffered, account-split batches."""

    def __init__(self, folder: Path, schema: pa.Schema, partitions: int,
                 buffer_bytes: int) -> None:
        import pyarrow.parquet as pq

        folder.mkdir(parents=True)
        self.schema = schema
        self.partitions = partitions
        self.buffer_bytes = buffer_bytes
        self.writers = [pq.ParquetWriter(folder / PART_NAME.format(k), schema)
                        for k in range(partitions)]
        self.pending: list[list[pa.Table]] = [[] for _ in range(partitions)]
        self.pending_bytes = 0
        self.rows = np.zeros(partitions, dtype=np.int64)

    def add(self, batch: pa.Table, part: np.ndarray) -> None:
        import pyarrow as pa

        order = np.argsort(part, kind="stable")  # stable: rows keep their file order
        bounds = np.searchsorted(part[order], np.arange(self.partitions + 1))
        ordered = batch.take(pa.array(order))
        for k in np.flatnonzero(np.diff(bounds)):
            piece = ordered.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
            self.pending[k].append(piece)
            self.rows[k] += piece.num_rows
        self.pending_bytes += ordered.nbytes
        if self.pending_bytes >= self.buffer_bytes:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        for k, pieces in enumerate(self.pending):
            if pieces:
                self.writers[k].write_table(pa.concat_tables(pieces))
                pieces.clear()
        self.pending_bytes = 0

    def close(self) -> None:
        self.flush()
        for writer in self.writers:
            writer.close()


def repartition(source: str | os.PathLike[str], out: str | os.PathLike[str],
                partitions: int, *, batch_rows: int = BATCH_ROWS,
                buffer_bytes: int = BUFFER_BYTES,
                log: Callable[[str], None] | None = None) -> Layout:
    """Write every table of ``source`` as ``partitions`` Parquet parts split by account.

    Rows are streamed (Parquet a batch at a time; CSV and JSON Lines files are read whole,
    as validation reads them) and keep their file order within an account. Nothing is
    validated here: the layout holds the rows exactly as the files do, and validation
    happens where the data is used (per part on the Dask workers, or on the whole layout
    with ``fakedetect validate``).

    Parameters
    ----------
    source : path-like
        A dataset folder (any format; a table may already be a folder of Parquet parts).
    out : path-like
        The new dataset folder; it must not exist or be empty. Everything is written
        beside it first and moved into place at the end, so a failure leaves nothing.
    partitions : int
        Parts per table, from 1 to :data:`MAX_PARTITIONS`.
    batch_rows, buffer_bytes : int
        Rows read at a time, and bytes buffered before parts are flushed.
    log : callable, optional
        Receives one line per table.

    Returns
    -------
    Layout

    Raises
    ------
    UserError
        A bad part count, an unusable source or destination, or an unreadable file.
    """
    from fakedetect.contract import TABLES
    from fakedetect.io import find_tables, sweep_stale, write_text

    src, dest = Path(source), Path(out)
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise UserError(f"--partitions {partitions}: expected 1 to {MAX_PARTITIONS}",
                        hint="aim at parts of 50-200 MB of Parquet each")
    if not src.is_dir():
        raise UserError(f"{src}: no such dataset folder")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"{dest}: already exists and is not an empty folder",
                        hint="choose a new --out folder, or remove the old one")
    if dest.resolve() == src.resolve() or src.resolve() in dest.resolve().parents:
        raise UserError(f"{dest}: the output must be outside the source folder")
    files, problems = find_tables(src)
    if problems:
        raise problems[0]
    if "accounts" not in files:
        raise UserError(f"{src}: no accounts table (accounts.csv, .parquet or .jsonl)",
                        hint="a dataset needs at least its accounts table")
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(dest.parent, f".{dest.name}.")  # left by a killed run
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.{os.getpid()}.", suffix=".tmp",
                                    dir=dest.parent))
    try:
        rows: dict[str, int] = {}
        for name in TABLES:
            if name not in files:
                continue
            rows[name] = _write_table(name, files[name], staging / f"{name}.parquet",
                                      partitions, batch_rows, buffer_bytes)
            if log is not None:
                log(f"{name}: {rows[name]:,} rows into {partitions} parts")
        doc = {"version": LAYOUT_VERSION, "partitions": partitions, "tables": rows,
               "key": "account_id", "hash": {
                   "function": "pandas.util.hash_array", "hash_key": HASH_KEY,
                   "encoding": "utf8",
                   "input": "account_id as validation reads it (text, stripped; whole "
                            "numbers without .0); missing ids go to part 0"},
               "part_name": PART_NAME, "source": str(src.resolve())}
        write_text(staging / LAYOUT_FILE, json.dumps(doc, indent=2) + "\n")
        os.chmod(staging, 0o777 & ~_umask())
        if dest.exists():
            dest.rmdir()
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Layout(dest, partitions, rows)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_table(name: str, path: Path, folder: Path, partitions: int, batch_rows: int,
                 buffer_bytes: int) -> int:
    """Split one table into its part files; return its row count."""
    import pyarrow as pa

    from fakedetect.io import FileError

    schema, batches = _source_batches(name, path, batch_rows)
    if "account_id" not in schema.names:
        raise FileError(path, "no account_id column; every table is keyed by account_id",
                        hint="add the account_id column")
    writer = _PartWriter(folder, schema, partitions, buffer_bytes)
    try:
        for batch in batches:
            ids = _ids(batch.column("account_id"))
            writer.add(batch, partition_of(ids, partitions))
    except pa.ArrowException as exc:
        raise FileError(path, f"cannot split the table ({exc})") from exc
    finally:
        writer.close()
    return int(writer.rows.sum())


def _ids(column: Any) -> pd.Series:
    """An Arrow ``account_id`` column as a pandas Series of its stored values."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        column = column.cast(pa.string())
    return column.to_pandas()


# ------------------------------------------------------------------------- reading


def load_partition(root: str | os.PathLike[str], k: int, *, lenient: bool = False
                   ) -> Dataset | None:
    """Load and validate part ``k`` of every table as one dataset.

    The parts are checked exactly as :func:`~fakedetect.validate.load_dataset` checks a
    dataset folder; since a part holds whole accounts, its rows pass or fail as they
    would in the whole dataset. A table whose part is empty is present with no rows (as
    in the whole dataset, where other accounts have rows).

    Parameters
    ----------
    root : path-like
        A partitioned dataset folder.
    k : int
        The part.
    lenient : bool
        Drop invalid accounts instead of failing (see ``load_dataset``).

    Returns
    -------
    Dataset or None
        ``None`` when the part holds no account (and, in strict mode, no other row).

    Raises
    ------
    PartitionError
        The part breaks the contract; the message names the part files.
    """
    import pyarrow.parquet as pq

    from fakedetect.scale.engine import PartitionError
    from fakedetect.validate import load_dataset

    if not Path(root).is_dir():
        import socket

        raise PartitionError(f"{root}: no such folder on the worker at {socket.gethostname()}",
                             hint="the dataset must be on storage every worker reads at the "
                                  "same path (a shared file system)")
    layout = require_layout(root)
    empty: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix=f"fakedetect-part{k:05d}-") as tmp:
        folder = Path(tmp)
        links: dict[str, Path] = {}
        for table in layout.tables:
            part = layout.part(table, k)
            if pq.ParquetFile(part).metadata.num_rows == 0:
                empty[table] = part
                continue
            link = folder / f"{table}.parquet"
            os.symlink(part.resolve(), link)
            links[table] = part
        if "accounts" in empty:
            if links and not lenient:
                where = ", ".join(str(p) for p in links.values())
                raise PartitionError(
                    f"{where}: rows name accounts that the accounts table lacks (their "
                    "part of the accounts table is empty)", hint="fix the account_id "
                    "values, or pass --lenient to drop those rows")
            return None
        try:
            dataset = load_dataset(folder, lenient=lenient)
        except UserError as exc:
            message = exc.message
            for table, part in links.items():
                message = message.replace(str(folder / f"{table}.parquet"), str(part))
            message = message.replace(str(folder), f"{layout.root} (part {k})")
            raise PartitionError(message, hint=exc.hint) from None
        if len(dataset.rejects):
            dataset.rejects = _rows_of_layout(dataset.rejects, layout, k, folder)
    dataset.path = layout.root
    dataset.files = {t: layout.part(t, k) for t in layout.tables}
    categories = dataset.account_ids
    for table, part in empty.items():
        dataset.tables[table] = _empty_table(table, part, categories)
    dataset.tables = {t: dataset.tables[t] for t in layout.tables if t in dataset.tables}
    return dataset


def _empty_table(name: str, part: Path, categories: pd.Index) -> pd.DataFrame:
    """A table with no rows, typed as validation types it (contract columns, then the
    file's other columns)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from fakedetect.contract import TABLES
    from fakedetect.io import to_pandas
    from fakedetect.validate.columns import empty_column

    index = pd.RangeIndex(0)
    columns = {c.name: empty_column(c, index) for c in TABLES[name].columns}
    stored = to_pandas(pq.read_table(part))
    frame = pd.DataFrame(columns, index=index)
    for extra in stored.columns:
        if extra not in frame:
            frame[extra] = stored[extra]
    frame["account_id"] = pd.Categorical.from_codes(
        np.zeros(0, dtype=np.int64), dtype=pd.CategoricalDtype(categories, ordered=False))
    return frame


def _rows_of_layout(rejects: pd.DataFrame, layout: Layout, k: int, folder: Path
                    ) -> pd.DataFrame:
    """Rejects of part ``k`` as loading the whole layout words them: rows counted from the
    start of the table folder, files named by their table folder."""
    import re

    import pyarrow.parquet as pq

    out = rejects.copy()
    rows = out["row"].astype("Int64")
    reasons = out["reason"].astype("string")
    for table in layout.tables:
        offset = sum(pq.ParquetFile(layout.part(table, j)).metadata.num_rows
                     for j in range(k))
        mine = (out["table"] == table).fillna(False).to_numpy(dtype=bool) & rows.notna(
            ).to_numpy(dtype=bool)
        for i in np.flatnonzero(mine):
            old = int(rows.iat[i])
            reasons.iat[i] = re.sub(rf"\b{table} row {old}\b", f"{table} row {old + offset}",
                                    str(reasons.iat[i]), count=1)
            rows.iat[i] = old + offset
        reasons = reasons.str.replace(str(folder / f"{table}.parquet"),
                                      str(layout.root / f"{table}.parquet"), regex=False)
    out["row"] = rows.astype(rejects["row"].dtype)
    out["reason"] = reasons.astype(rejects["reason"].dtype)
    return out
