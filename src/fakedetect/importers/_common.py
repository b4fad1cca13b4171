"""Pieces every importer shares: the imported tables, JSON reading, and writing a dataset.

An importer turns one source format into contract tables (:class:`Imported`);
:func:`write_dataset` stores them in a staging folder, checks them with
:func:`fakedetect.validate.load_dataset` and only then moves them into the output folder,
so a failed import never leaves a half-written dataset behind.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fakedetect.contract import TABLES
from fakedetect.errors import UserError

#: File in the output folder recording what an import wrote (hidden from dataset readers).
MARKER = ".import.json"
#: Output formats a dataset can be written in, with their file suffix.
OUT_FORMATS = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}


@dataclass
class Imported:
    """Contract tables produced by one importer, before they are written.

    Attributes
    ----------
    tables : dict
        Table name to frame (``accounts`` always; others when the source has them).
    duplicates_dropped : int
        Exact duplicate rows removed from the source.
    notes : list of str
        Facts the user should know about this import (skipped files, derived values).
    warnings : list of str
        Evidence the import could not build, with what to do (printed on stderr).
    """

    tables: dict[str, pd.DataFrame]
    duplicates_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_json(path: Path) -> Any:
    """Read a ``.json`` or LZMA-compressed ``.json.xz`` file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    object
        The decoded JSON value.

    Raises
    ------
    UserError
        If the file is missing, not valid JSON (with line and column), not UTF-8, or a
        broken ``.xz`` archive.
    """
    if not path.is_file():
        raise UserError(f"{path}: no such file", hint="check the path and the file name")
    try:
        if path.name.lower().endswith(".xz"):
            with lzma.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        with path.open("r", encoding="utf-8-sig") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path} line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})",
            hint="the file may be truncated or edited by hand; download or export it again",
        ) from exc
    except lzma.LZMAError as exc:
        raise UserError(
            f"{path}: not a readable .xz archive ({exc})",
            hint="the file may be truncated; download it again",
        ) from exc
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text ({exc.reason})", hint="re-save the file as UTF-8"
        ) from exc


def stable_ids(prefix: str, numbers: np.ndarray, width: int = 6) -> np.ndarray:
    """Identifiers ``<prefix>-<number>`` with the number zero-padded to ``width`` digits.

    Parameters
    ----------
    prefix : str
        Text before the number, e.g. ``instafake-fake``.
    numbers : numpy.ndarray
        Integers (positions in the source, 1-based), so ids survive re-imports.
    width : int
        Minimum number of digits.

    Returns
    -------
    numpy.ndarray
        Array of strings.
    """
    text = pd.Series(np.asarray(numbers, dtype=np.int64)).astype(str).str.zfill(width)
    return (prefix + "-" + text).to_numpy(dtype=object)


def flag(values: Any) -> pd.Series:
    """Turn 0/1, booleans or missing values into nullable 0/1 integers (``Int64``)."""
    s = pd.Series(values)
    if s.dtype == object:
        s = s.map(lambda v: None if v is None else int(bool(v)))
    return pd.to_numeric(s, errors="coerce").astype("Float64").round().astype("Int64")


def label_counts(labels: pd.DataFrame | None) -> tuple[int, int, dict[str, int]]:
    """Count fake and genuine accounts and each ``fraud_type`` of a labels table.

    Returns
    -------
    n_fake, n_genuine : int
    by_type : dict
        ``fraud_type`` to count, most frequent first.
    """
    if labels is None or labels.empty:
        return 0, 0, {}
    fake = pd.to_numeric(labels["is_fake"], errors="coerce")
    n_fake = int((fake == 1).sum())
    n_genuine = int((fake == 0).sum())
    by_type: dict[str, int] = {}
    if "fraud_type" in labels:
        counts = labels["fraud_type"].astype("string").fillna("(missing)").value_counts()
        by_type = {str(k): int(v) for k, v in counts.items()}
    return n_fake, n_genuine, by_type


def existing_tables(out: Path) -> list[Path]:
    """Files in ``out`` that a dataset reader would take as contract tables."""
    if not out.is_dir():
        return []
    found = []
    for entry in sorted(out.iterdir()):
        stem = entry.name.split(".", 1)[0]
        if stem in TABLES and not entry.name.startswith("."):
            found.append(entry)
    return found


def _written_by_import(out: Path, tables: list[Path]) -> bool:
    """Whether every table file in ``out`` was written by an earlier import."""
    marker = out / MARKER
    if not marker.is_file():
        return False
    try:
        recorded = set(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
    except (OSError, ValueError, AttributeError):
        return False
    return {p.name for p in tables} <= recorded


def write_dataset(
    imported: Imported,
    out: Path,
    out_format: str = "csv",
    *,
    force: bool = False,
    source: str = "",
    fmt: str = "",
) -> dict[str, Path]:
    """Write imported tables into ``out``, checked against the contract first.

    The tables are written to a staging folder beside ``out`` and loaded with
    :func:`fakedetect.validate.load_dataset`; only a valid dataset is moved into ``out``.

    Parameters
    ----------
    imported : Imported
        The tables.
    out : Path
        Dataset folder to create or fill.
    out_format : {"csv", "parquet", "jsonl"}
        File format of every table.
    force : bool
        Replace table files already in ``out`` (all of them, so no stale table mixes
        with the new ones). Without it, a folder holding tables is an error unless an
        earlier import wrote them all (recorded in ``out/.import.json``).
    source : str
        What was imported, for error messages and the record.
    fmt : str
        Importer name, for the record.

    Returns
    -------
    dict
        Table name to written file.

    Raises
    ------
    UserError
        If ``out`` holds tables and ``force`` is false, the format is unknown, or the
        imported tables break the contract.
    """
    from fakedetect.io import sweep_stale, write_table, write_text
    from fakedetect.validate import ContractError, load_dataset

    if out_format not in OUT_FORMATS:
        raise UserError(
            f"unknown output format {out_format!r}", hint=f"use one of: {', '.join(OUT_FORMATS)}"
        )
    if out.exists() and not out.is_dir():
        raise UserError(
            f"{out}: exists and is not a folder",
            hint="pass --out a folder (it is created when missing)",
        )
    old = existing_tables(out)
    if old and not force and not _written_by_import(out, old):
        names = ", ".join(p.name for p in old[:6])
        raise UserError(
            f"{out}: already holds a dataset ({names})",
            hint="choose another --out folder, or pass --force to replace every table file in it",
        )
    out.mkdir(parents=True, exist_ok=True)
    sweep_stale(out, f".{out.name}.import-")  # left by a killed import
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-{os.getpid()}-", dir=out))
    try:
        suffix = OUT_FORMATS[out_format]
        for name, frame in imported.tables.items():
            write_table(frame, staging / f"{name}{suffix}", fmt=out_format)
        try:
            load_dataset(staging)
        except ContractError as exc:
            raise UserError(
                f"{source or 'the source'}: the imported tables break the data contract\n"
                f"{exc.message}",
                hint="fix the source values listed (or the column mapping) and import again",
            ) from exc
        for path in existing_tables(out):
            path.unlink()
        files: dict[str, Path] = {}
        for name in imported.tables:
            dest = out / f"{name}{suffix}"
            os.replace(staging / dest.name, dest)
            files[name] = dest
        record = {
            "format": fmt,
            "source": source,
            "files": [p.name for p in files.values()],
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text(out / MARKER, json.dumps(record, indent=2) + "\n")
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)
