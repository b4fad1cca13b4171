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
OUT_FORMATS_BY_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
                         ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: Conflicting rows shown in a merge error.
_SHOWN = 5


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
    lines : dict
        Table name to each row's line in the source file, when the source is one file
        (for messages about conflicting rows).
    """

    tables: dict[str, pd.DataFrame]
    duplicates_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: dict[str, np.ndarray] = field(default_factory=dict)


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
        with the new ones). Without it, a folder holding tables is an error unless
        earlier imports (or ``fakedetect collect``) wrote them all (recorded in
        ``out/.import.json``); the new rows are then merged into them (:func:`merge`).
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
    created = _missing_folders(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _write_into(imported, out, out_format, old=old, force=force, source=source,
                           fmt=fmt)
    except BaseException:
        for folder in created:  # only folders this import made, and only when empty
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _missing_folders(out: Path) -> list[Path]:
    """``out`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for folder in (out, *out.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _write_into(imported: Imported, out: Path, out_format: str, *, old: list[Path],
                force: bool, source: str, fmt: str) -> dict[str, Path]:
    """The body of :func:`write_dataset` once ``out`` exists."""
    from fakedetect.io import sweep_stale, write_table, write_text
    from fakedetect.validate import ContractError, load_dataset

    sweep_stale(out, f".{out.name}.import-")  # left by a killed import
    from fakedetect.io import find_tables

    merging = bool(old) and not force
    origins: dict[str, np.ndarray] = {}
    tables, kept, notes, dropped = merge(
        find_tables(out)[0] if merging else {}, out, imported, source or "the source",
        origins)
    imported.notes.extend(notes)
    imported.duplicates_dropped += dropped
    if "accounts" not in tables and "accounts" not in kept:
        table = ", ".join(tables)
        raise UserError(
            f"{source or 'the source'}: {out} has no accounts table for the {table} rows "
            "to belong to",
            hint="import the accounts first (fakedetect import csv FILE --out "
                 f"{out} --table accounts --map ...), or collect them")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-{os.getpid()}-", dir=out))
    try:
        suffix = OUT_FORMATS[out_format]
        names: dict[str, str] = {}
        for name, frame in tables.items():
            fname = kept[name].name if name in kept else f"{name}{suffix}"
            fmt_of = OUT_FORMATS_BY_SUFFIX.get(Path(fname).suffix, out_format)
            write_table(frame, staging / fname, fmt=fmt_of)
            names[name] = fname
        for name, path in kept.items():  # untouched tables, so the whole is checked
            if name not in tables:
                shutil.copy2(path, staging / path.name)
        try:
            load_dataset(staging)
        except ContractError as exc:
            message = _in_source_terms(exc, staging, out, names, origins, kept)
            raise UserError(
                f"{source or 'the source'}: the imported tables break the data contract\n"
                f"{message}",
                hint="fix the source values listed (or the column mapping) and import "
                     "again; rows of a table other than accounts need their accounts in "
                     "the dataset (import them first with --table accounts, or collect)",
            ) from exc
        if not merging:
            for path in existing_tables(out):
                path.unlink()
        files: dict[str, Path] = {}
        for name in tables:
            dest = out / names[name]
            os.replace(staging / dest.name, dest)
            files[name] = dest
        recorded = sorted({p.name for p in files.values()} | {p.name for p in kept.values()})
        record = {
            "format": fmt,
            "source": source,
            "files": recorded,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text(out / MARKER, json.dumps(record, indent=2) + "\n")
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _in_source_terms(exc: Any, staging: Path, out: Path, names: dict[str, str],
                     origins: dict[str, np.ndarray], kept: dict[str, Path]) -> str:
    """The contract problems of the staged tables, told as rows of the files they came from.

    A row of a written table is named by its source file and line (``origins``); a row
    of a table the import left as it was, by that table's file in ``out``. The staging
    folder is never named (it is gone when the user reads the message).
    """
    from dataclasses import replace

    from fakedetect.io import read_raw
    from fakedetect.validate.problems import format_problems

    by_file = {fname: name for name, fname in names.items()}
    by_file.update({p.name: n for n, p in kept.items()})
    positions: dict[str, dict[int, int]] = {}

    def where(problem: Any) -> Any:
        path = Path(problem.file)
        if path == staging:
            return replace(problem, file=str(out))
        if path.parent != staging:
            return problem
        name = by_file.get(path.name)
        if name is None:
            return replace(problem, file=str(out / path.name))
        if name not in origins:  # copied unchanged from out
            return replace(problem, file=str(kept.get(name, out / path.name)))
        if problem.row is None:
            return replace(problem, file=f"the {name} rows imported")
        if name not in positions:
            try:
                rows = read_raw(name, path).rows
            except UserError:  # the message then names the table only
                rows = np.empty(0, dtype=np.int64)
            positions[name] = {int(r): i for i, r in enumerate(rows)}
        i = positions[name].get(int(problem.row))
        if i is None or i >= len(origins[name]) or origins[name][i] is None:
            made = "an accounts row made from the imported snapshots" if name == "accounts" \
                else f"the {name} rows imported"
            return replace(problem, file=made, row=None)
        file, word, row = origins[name][i]
        return replace(problem, file=file, row_word=word, row=row)

    groups = []
    for g in exc.groups:
        examples = tuple(where(p) for p in g.examples)
        file = examples[0].file if examples else g.file
        word = examples[0].row_word if examples else g.row_word
        groups.append(replace(g, examples=examples, file=file, row_word=word))
    text = format_problems(out, groups)
    return text.replace(str(staging), str(out))


# --------------------------------------------------------------------------- merging


def _canon(values: pd.Series, kind: str) -> pd.Series:
    """Values in a form that compares equal across file formats (text, numbers, times)."""
    s = pd.Series(values).reset_index(drop=True)
    if kind in {"int", "float", "bool"}:
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            low = s.astype("string").str.strip().str.lower()
            low = low.replace({"true": "1", "t": "1", "yes": "1", "y": "1", "false": "0",
                               "f": "0", "no": "0", "n": "0", "": pd.NA})
            return pd.to_numeric(low, errors="coerce").astype("Float64")
        return pd.to_numeric(s, errors="coerce").astype("Float64")
    if kind in {"date", "timestamp"}:
        text = s.astype("string").str.strip().replace({"": pd.NA})
        when = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        if kind == "date":
            return when.dt.strftime("%Y-%m-%d").astype("string")
        return when.astype("string")
    text = s.astype("string").str.strip()
    return text.mask(text == "")


def _key_text(frame: pd.DataFrame, key: tuple[str, ...], kinds: dict[str, str]) -> pd.Series:
    parts = [_canon(frame[k], kinds.get(k, "string")).fillna("\x00") for k in key]
    out = parts[0].astype(str)
    for p in parts[1:]:
        out = out + "\x1f" + p.astype(str)
    return out


def _where(lines: np.ndarray | None, i: int, fmt: str) -> str:
    return f"line {lines[i]}" if lines is not None else f"{fmt} {i + 1}"


def merge(existing: dict[str, Path], out: Path, imported: Imported, source: str,
          origins: dict[str, np.ndarray] | None = None,
          ) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[str], int]:
    """Merge imported tables into the dataset already in ``out``.

    The rule: rows are matched by the table's key (``account_id`` for accounts,
    ``account_id`` and ``date`` for snapshots, ``account_id`` and ``post_id`` for posts,
    ``account_id`` and ``follower_username`` for audience; comments by all their contract
    columns). A new key adds a row. A matching row is merged column by column: a value
    missing on one side is taken from the other, equal values are kept once, and two
    different values are a conflict: the import is refused, naming both lines.
    Snapshots are sorted by account and day; snapshots of accounts the dataset does not
    list add an accounts row from their latest day.

    Parameters
    ----------
    existing : dict
        Table name to its file in the dataset (empty when the import replaces it).
    out : Path
        The dataset folder, for messages.
    imported : Imported
        The new tables (``lines`` gives their source lines for messages).
    source : str
        The imported file, for messages.
    origins : dict, optional
        Filled with table name to an object array, one ``(file, row_word, row)`` per
        merged row (``None`` when the row has no single source row), so a problem found
        in the written tables can name the row it came from.

    Returns
    -------
    tables : dict
        Table name to the merged frame, for every table to write.
    kept : dict
        Table name to the existing file (written tables keep its name and format).
    notes : list of str
        What the merge did.
    dropped : int
        Rows of the import that repeat an earlier row exactly (dropped).

    Raises
    ------
    UserError
        On conflicting rows (within the import or with the dataset), with line numbers.
    """
    from fakedetect.io import read_raw

    merged: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    total_dropped = 0
    origin: dict[str, np.ndarray] = {} if origins is None else origins
    for name, new in imported.tables.items():
        spec = TABLES[name]
        kinds = {c.name: c.kind for c in spec.columns}
        new_lines = imported.lines.get(name)
        new = new.reset_index(drop=True)
        key = spec.key or tuple(c for c in spec.names if c in new)
        new, dropped, kept_rows = _dedupe(new, key, kinds, new_lines, source)
        total_dropped += dropped
        new_origin = np.empty(len(new), dtype=object)
        new_origin[:] = [(source, "line", int(new_lines[i])) if new_lines is not None
                         else (source, "row", int(i) + 1) for i in kept_rows]
        if name not in existing:
            merged[name] = new
            origin[name] = new_origin
            continue
        raw = read_raw(name, existing[name])
        old = raw.frame.reset_index(drop=True)
        old_origin = np.empty(len(old), dtype=object)
        old_origin[:] = [(str(raw.path), raw.row_word, int(r)) for r in raw.rows]
        key = spec.key or tuple(c for c in spec.names if c in new and c in old)
        ko = _key_text(old, key, kinds)
        kn = _key_text(new, key, kinds)
        pos = pd.Index(ko).get_indexer(kn)
        hit = np.flatnonzero(pos >= 0)
        result = old.copy()
        for col in new.columns:
            if col in key:
                continue
            kind = kinds.get(col, "string")
            b = _canon(new[col], kind).iloc[hit].reset_index(drop=True)
            if col not in result:
                result[col] = pd.Series([None] * len(result), dtype=object)
                a = pd.Series([pd.NA] * len(hit), dtype=b.dtype)
            else:
                a = _canon(result[col], kind).iloc[pos[hit]].reset_index(drop=True)
            clash = (a.notna() & b.notna() & (a != b)).fillna(False).to_numpy(dtype=bool)
            if clash.any():
                idx = np.flatnonzero(clash)
                shown = "; ".join(
                    f"{', '.join(str(new[k].iloc[hit[i]]) for k in key)}: {col} "
                    f"{old[col].iloc[pos[hit[i]]]} in {raw.path} "
                    f"{raw.row_word} {raw.rows[pos[hit[i]]]}, "
                    f"{new[col].iloc[hit[i]]} in {source} "
                    f"{_where(new_lines, hit[i], 'row')}" for i in idx[:_SHOWN])
                raise UserError(
                    f"{name}: {idx.size} row(s) of {source} conflict with the dataset in "
                    f"{out}: {shown}",
                    hint="fix the value that is wrong, or pass --force to replace every "
                         "table of the folder with this import")
            fill = (a.isna() & b.notna()).to_numpy(dtype=bool)
            if fill.any():
                values = result[col].astype(object).to_numpy().copy()
                values[pos[hit[fill]]] = new[col].iloc[hit[fill]].astype(object).to_numpy()
                result[col] = values
        added = new.iloc[np.flatnonzero(pos < 0)]
        result = pd.concat([result.astype(object), added.astype(object)], ignore_index=True)
        merged[name] = result
        old_origin[pos[hit]] = new_origin[hit]  # a merged row's new values came from here
        origin[name] = np.concatenate([old_origin, new_origin[np.flatnonzero(pos < 0)]])
        notes.append(f"{name}: merged into {existing[name].name}: {len(added):,} new row(s), "
                     f"{hit.size:,} matching row(s)")
    _refuse_username_ids(merged, existing, imported, out, source)
    snaps = merged.get("snapshots")
    if snaps is not None:  # the contract wants days ascending per account
        order = pd.DataFrame({"a": _canon(snaps["account_id"], "id").to_numpy(),
                              "d": _canon(snaps["date"], "date").to_numpy()})
        ranks = order.sort_values(["a", "d"], kind="stable").index.to_numpy()
        snaps = snaps.iloc[ranks]
        snaps = merged["snapshots"] = snaps.reset_index(drop=True)
        if "snapshots" in origin:
            origin["snapshots"] = origin["snapshots"][ranks]
        if "accounts" in merged:
            accounts_ids = set(_canon(merged["accounts"]["account_id"], "id").dropna())
        elif "accounts" in existing:
            acc = read_raw("accounts", existing["accounts"]).frame
            accounts_ids = set(_canon(acc["account_id"], "id").dropna())
        else:
            accounts_ids = set()
        made = _accounts_from_snapshots(snaps, accounts_ids)
        if made is not None:
            base = merged.get("accounts")
            base_origin = origin.get("accounts")
            if base is None and "accounts" in existing:
                raw = read_raw("accounts", existing["accounts"])
                base = raw.frame
                base_origin = np.empty(len(base), dtype=object)
                base_origin[:] = [(str(raw.path), raw.row_word, int(r)) for r in raw.rows]
            merged["accounts"] = made if base is None else pd.concat(
                [base.astype(object), made.astype(object)], ignore_index=True)
            made_origin = np.full(len(made), None, dtype=object)
            origin["accounts"] = made_origin if base_origin is None else np.concatenate(
                [base_origin, made_origin])
            notes.append(f"accounts: {len(made):,} account(s) added from their latest "
                         "snapshot (followers, following, posts)")
    return merged, dict(existing), notes, total_dropped


def _handle(values: pd.Series) -> pd.Series:
    """Usernames as a platform compares them: no leading ``@``, any case."""
    return values.astype("string").str.strip().str.lstrip("@").str.lower()


def _refuse_username_ids(merged: dict[str, pd.DataFrame], existing: dict[str, Path],
                         imported: Imported, out: Path, source: str) -> None:
    """Refuse rows whose ``account_id`` the accounts table does not list but that is the
    username of an account it does list under another id: merged as they are, they would
    make a second account of the same creator.

    Raises
    ------
    UserError
        Naming the first such row, the account that has the username, and what to do.
    """
    from fakedetect.contract import REFERENCING
    from fakedetect.io import read_raw

    accounts = merged.get("accounts")
    if accounts is None and "accounts" in existing:
        accounts = read_raw("accounts", existing["accounts"]).frame
    if accounts is None or "username" not in accounts:
        return
    ids = _canon(accounts["account_id"], "id")
    known = set(ids.dropna())
    handles = _handle(accounts["username"]).reset_index(drop=True)
    owner = dict(zip(handles[handles.notna()], ids[handles.notna().to_numpy()],
                     strict=True))
    for name, frame in imported.tables.items():
        if name not in REFERENCING or "account_id" not in frame:
            continue
        refs = _canon(frame["account_id"], "id")
        unknown = (~refs.isin(known) & refs.notna()).to_numpy()
        if not unknown.any():
            continue
        mapped = _handle(refs).map(owner)
        hit = np.flatnonzero(unknown & mapped.notna().to_numpy())
        if not hit.size:
            continue
        i = int(hit[0])
        lines = imported.lines.get(name)
        where = _where(lines, i, "row")
        count = len(set(refs.iloc[hit]))
        raise UserError(
            f"{source} {where}: {name} row for account {refs.iloc[i]!r}, which the accounts "
            f"table of {out} does not list; its account {mapped.iloc[i]!r} has the username "
            f"{refs.iloc[i]!r}" + (f" ({count} accounts like this)" if count > 1 else ""),
            hint="importing it would make a second account of the same creator: use the "
                 "ids of the accounts table in this file (--map account_id=COLUMN), or "
                 "re-import the accounts with --force and without account_id or --id-prefix "
                 "(their usernames become the ids)")


def _dedupe(frame: pd.DataFrame, key: tuple[str, ...], kinds: dict[str, str],
            lines: np.ndarray | None, source: str) -> tuple[pd.DataFrame, int, np.ndarray]:
    """Drop rows repeating an earlier one; refuse rows with the same key but other values.

    Returns the kept rows, the number dropped and the kept rows' positions in ``frame``.
    """
    every = np.arange(len(frame))
    if not key or frame.empty:
        return frame, 0, every
    k = _key_text(frame, key, kinds)
    dup = k.duplicated(keep=False).to_numpy()
    if not dup.any():
        return frame, 0, every
    canon = pd.DataFrame({c: _canon(frame[c], kinds.get(c, "string")) for c in frame.columns})
    exact = canon.astype("string").fillna("\x00").duplicated(keep="first").to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(k.to_numpy()).transform("min").to_numpy()
    clash = dup & ~exact & (first != np.arange(len(frame)))
    if clash.any():
        shown = "; ".join(
            f"{', '.join(str(frame[c].iloc[i]) for c in key)} at "
            f"{_where(lines, int(first[i]), 'row')} and {_where(lines, int(i), 'row')}"
            for i in np.flatnonzero(clash)[:_SHOWN])
        raise UserError(
            f"{source}: {int(clash.sum())} row(s) repeat the key ({', '.join(key)}) of an "
            f"earlier row with other values: {shown}",
            hint="keep one row per key (for snapshots: one per account and day)")
    return frame[~exact].reset_index(drop=True), int(exact.sum()), every[~exact]


def _accounts_from_snapshots(snaps: pd.DataFrame, known: set[str]) -> pd.DataFrame | None:
    """Accounts rows (latest day's counters) for snapshot accounts not in ``known``."""
    ids = _canon(snaps["account_id"], "id")
    days = _canon(snaps["date"], "date")
    new = ~ids.isin(known).to_numpy()
    if not new.any():
        return None
    part = snaps.reset_index(drop=True)[new].assign(_id=ids[new].to_numpy(),
                                                   _day=days[new].to_numpy())
    latest = part.sort_values(["_id", "_day"], kind="stable").groupby("_id").tail(1)
    cols = [c for c in ("followers", "following", "posts") if c in latest]
    out = latest[cols].copy()
    out.insert(0, "account_id", latest["_id"].to_numpy())
    out.insert(1, "platform", "instagram")
    return out.reset_index(drop=True)
