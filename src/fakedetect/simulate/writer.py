"""Append a simulation's tables chunk by chunk, one file per table, moved in place at the end.

Parquet tables grow by row groups through one ``ParquetWriter`` each; CSV and JSON Lines
by appending text. Files are written under temporary names in the output folder and
renamed only when every table is complete, so a reader never sees half a dataset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fakedetect.contract import FORMATS

if TYPE_CHECKING:
    import pyarrow as pa

SUFFIX = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns as strings, timestamps and dates as ISO 8601 text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for col, field in zip(table.columns, table.schema, strict=True):
        t = field.type
        if pa.types.is_dictionary(t):
            col = pc.cast(col, pa.string())
        elif pa.types.is_timestamp(t):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
        elif pa.types.is_date(t):
            col = pc.strftime(col, format="%Y-%m-%d")
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


class TableSink:
    """Writes one table in chunks to a temporary file beside its final name.

    Parameters
    ----------
    directory : Path
        Output folder.
    name : str
        Table name (the file stem).
    schema : pyarrow.Schema
    fmt : {"parquet", "csv", "jsonl"}
    """

    def __init__(self, directory: Path, name: str, schema: pa.Schema, fmt: str) -> None:
        self.final = directory / f"{name}{SUFFIX[fmt]}"
        self.tmp = directory / f".{name}{SUFFIX[fmt]}.tmp"
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        self._writer: Any = None
        self._fh: IO[bytes] | None = None

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (same schema) as the next chunk."""
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd",
                                                write_statistics=False)
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        else:
            if self._fh is None:
                self._fh = self.tmp.open("wb")
            plain = _plain(table)
            if self.fmt == "csv":
                import pyarrow.csv as pcsv

                pcsv.write_csv(plain, self._fh, pcsv.WriteOptions(
                    include_header=self.rows == 0, quoting_style="needed"))
            else:
                import pandas as pd
                import pyarrow as pa

                ints = {pa.int8(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(),
                        pa.int64(): pd.Int64Dtype()}
                frame = plain.to_pandas(types_mapper=ints.get)
                text = frame.to_json(orient="records", lines=True, force_ascii=False)
                if text and not text.endswith("\n"):
                    text += "\n"
                self._fh.write(text.encode("utf-8"))
        self.rows += table.num_rows

    def close(self) -> None:
        """Finish the temporary file (it stays under its temporary name)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def commit(self) -> Path:
        """Move the finished file to its final name and return it."""
        os.replace(self.tmp, self.final)
        return self.final

    def discard(self) -> None:
        """Close and remove the temporary file."""
        self.close()
        self.tmp.unlink(missing_ok=True)


def stale_tables(directory: Path, names: tuple[str, ...], fmt: str) -> list[Path]:
    """Files of the same tables in another format, which a new dataset replaces."""
    out = []
    for name in names:
        for suffix in FORMATS:
            path = directory / f"{name}{suffix}"
            if path.exists() and suffix != SUFFIX[fmt]:
                out.append(path)
    return out
