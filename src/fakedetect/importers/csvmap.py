"""Import any CSV of accounts, given which of its columns holds which contract column.

A user brings a spreadsheet of labelled accounts and says, without writing code::

    fakedetect import csv accounts.csv --out data/mine \\
        --map followers=Number.of.followers,following=Following,posts=Posts \\
        --label Fake.Or.Not --label-values yes=1,no=0

Columns already named like contract columns are taken as they are. Counts may carry
thousands separators or a ``k``/``m`` suffix (``1,234``, ``12.5k``); flags may be
0/1, true/false or yes/no.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fakedetect.contract import FRAUD_TYPES, TABLES
from fakedetect.errors import UserError
from fakedetect.importers._common import Imported, stable_ids

#: Per table: source names that are not contract columns but give contract columns
#: (``--map bio=Biography`` fills ``bio_length``), with what each gives.
DERIVED: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {"bio": ("bio_length",), "username": ("username_length", "username_digits")},
    "audience": {"bio": ("bio_length",)},
    "posts": {"caption": ("caption_length", "hashtags")},
    "snapshots": {},
    "comments": {},
}
#: Tables ``import csv --table`` can fill.
CSV_TABLES = tuple(DERIVED)
_HASHTAG = re.compile(r"#\w+")
_TRUE = {"1", "true", "t", "yes", "y", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "0.0"}
_EXAMPLES = 5


def parse_pairs(specs: str | Iterable[str] | None, option: str) -> dict[str, str]:
    """Parse ``a=b,c=d`` (one string or several) into ``{"a": "b", "c": "d"}``.

    Parameters
    ----------
    specs : str or iterable of str, optional
        The option's values as typed.
    option : str
        The option's name, for error messages (``--map``).

    Returns
    -------
    dict

    Raises
    ------
    UserError
        If a pair has no ``=`` or an empty side, or a key repeats.
    """
    if specs is None:
        return {}
    items = [specs] if isinstance(specs, str) else list(specs)
    pairs: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise UserError(
                    f"{option} {part.strip()!r}: expected NAME=VALUE",
                    hint=f"e.g. {option} followers=Number.of.followers,following=Following",
                )
            if key in pairs:
                raise UserError(f"{option}: {key!r} is given twice", hint="give each name once")
            pairs[key] = value
    return pairs


def _near(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _sniff(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        head = fh.read(65536)
    first = head.splitlines()[0] if head else ""
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _counts(text: pd.Series) -> pd.Series:
    """Numbers that may carry thousands separators or a k/m suffix (``12.5k``)."""
    s = text.str.strip().str.lower().str.replace(r"[,\s_]", "", regex=True)
    scale = pd.Series(1.0, index=s.index)
    for suffix, factor in (("k", 1e3), ("m", 1e6), ("b", 1e9)):
        has = s.str.endswith(suffix).fillna(False).to_numpy(dtype=bool)
        scale[has] = factor
        s = s.mask(has, s.str[:-1])
    return pd.to_numeric(s, errors="coerce") * scale


def _fail_cells(
    path: Path,
    lines: np.ndarray,
    bad: np.ndarray,
    raw: pd.Series,
    source: str,
    target: str,
    expected: str,
) -> None:
    idx = np.flatnonzero(bad)
    if not idx.size:
        return
    shown = "; ".join(f"line {lines[i]}: {raw.iloc[i]!r}" for i in idx[:_EXAMPLES])
    more = f" (and {idx.size - _EXAMPLES} more)" if idx.size > _EXAMPLES else ""
    raise UserError(
        f"{path}, column {source!r} (mapped to {target}): {idx.size} value(s) "
        f"are not {expected}: {shown}{more}",
        hint="fix those cells, or map another column",
    )


#: How a date or time cell must read without ``--date-format``.
_TIME_EXPECTED = {"date": "a date (YYYY-MM-DD)",
                  "timestamp": "a date and time (YYYY-MM-DDTHH:MM:SSZ) or Unix seconds"}


def _times(path: Path, lines: np.ndarray, text: pd.Series, empty: np.ndarray,
           source: str, target: str, kind: str, date_format: str | None) -> pd.Series:
    """Date or time cells as ISO 8601 text, read as ISO 8601 (or Unix seconds for a
    timestamp) or with ``date_format``; a cell that does not read is an error naming
    its line, never a guess (``10/01/2026`` is January or October only by the user's
    word)."""
    cells = text.mask(empty)
    if date_format is not None:
        when = pd.to_datetime(cells, format=date_format, errors="coerce", utc=True)
        expected = f"a date in the format {date_format} (--date-format)"
    else:
        when = pd.to_datetime(cells, format="ISO8601", errors="coerce", utc=True)
        if kind == "timestamp":
            seconds = pd.to_numeric(cells, errors="coerce")
            by_number = pd.to_datetime(seconds, unit="s", errors="coerce", utc=True)
            when = when.fillna(by_number)
        expected = _TIME_EXPECTED[kind]
    bad = ~empty & when.isna().to_numpy()
    if bad.any():
        idx = np.flatnonzero(bad)
        named = repr(source) + ("" if source == target else f" (mapped to {target})")
        cells = "\n    ".join(f"{path}, line {lines[i]}, column {named}: found "
                              f"{text.iloc[i]!r}; expected {expected}"
                              for i in idx[:_EXAMPLES])
        more = (f"\n    (and {idx.size - _EXAMPLES} more cell(s) like these)"
                if idx.size > _EXAMPLES else "")
        hint = ("check the cells against the format, or fix them" if date_format else
                "convert the column to YYYY-MM-DD, or say how it is written with "
                "--date-format, e.g. --date-format %m/%d/%Y (month first) or "
                "--date-format %d/%m/%Y (day first)")
        raise UserError(cells + more, hint=hint)
    out = when.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%SZ")
    return out.astype(object).where(~empty, None)


def _label_targets(values: Mapping[str, str]) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    allowed = ("0", "1", "none", *FRAUD_TYPES)
    for raw, target in values.items():
        t = target.strip().lower()
        if t in {"0", "none", "genuine", "real"}:
            out[raw.strip().lower()] = (0, "none")
        elif t in {"1", "fake"}:
            out[raw.strip().lower()] = (1, "fake")
        elif all(part in FRAUD_TYPES for part in t.split("+")):
            out[raw.strip().lower()] = (1, t)
        else:
            raise UserError(
                f"--label-values {raw}={target}: unknown label {target!r}{_near(t, allowed)}",
                hint="map each value to 0 (genuine), 1 (fake) or a fraud type: "
                + ", ".join(FRAUD_TYPES),
            )
    return out


def import_csv(
    src: str | Path,
    *,
    table: str = "accounts",
    mapping: Mapping[str, str] | str | Iterable[str] | None = None,
    label: str | None = None,
    label_values: Mapping[str, str] | str | Iterable[str] | None = None,
    id_prefix: str | None = None,
    sep: str | None = None,
    platform: str = "instagram",
    date_format: str | None = None,
) -> Imported:
    """Read a CSV into one contract table, renaming its columns to the contract's.

    Parameters
    ----------
    src : path-like
        The CSV file (UTF-8; the separator is detected unless ``sep`` is given).
    table : {"accounts", "snapshots", "posts", "comments", "audience"}
        The contract table the rows belong to (one row per account, per account and
        day, per post, per comment, per sampled follower).
    mapping : dict or str, optional
        Contract column -> CSV column, e.g. ``{"followers": "Number.of.followers"}``, or
        the ``followers=Number.of.followers,...`` text form. Targets are columns of
        ``table``, or a raw value a column is derived from (:data:`DERIVED`: ``bio``
        gives ``bio_length``; ``username`` gives ``username_length`` and
        ``username_digits``; ``caption`` gives ``caption_length`` and ``hashtags``).
        CSV columns already named like a contract column are used when not mapped
        otherwise. Tables other than accounts need ``account_id``.
    label : str, optional
        CSV column holding the label (``COLUMN`` or ``is_fake=COLUMN``); adds a labels
        table. Rows with an empty label cell get no label.
    label_values : dict or str, optional
        Label cell value -> ``0``/``genuine``, ``1``/``fake`` or a fraud type (e.g.
        ``yes=1,no=0,bot=spammer``); matched ignoring case. Without it, the cells must
        be 0/1, true/false or yes/no.
    id_prefix : str, optional
        When no ``account_id`` column is mapped, the ids are the usernames (when
        ``username`` is mapped and no prefix is given), else ``<prefix>-<row>`` with the
        row's position among the data rows (default prefix: the file name's stem).
    sep : str, optional
        Field separator.
    platform : str
        Value of the ``platform`` column when the CSV has none.
    date_format : str, optional
        How the date and time cells are written, in ``strftime`` codes (``%m/%d/%Y``,
        ``%d.%m.%Y %H:%M``); default ISO 8601 (``2026-10-01``), or Unix seconds for
        a timestamp. Times without a zone are UTC. An ambiguous day such as
        ``10/01/2026`` is never guessed: without this option it is an error.

    Returns
    -------
    Imported
        The table, and ``labels`` when ``label`` is given (accounts only); ``lines``
        holds each row's line in the CSV.

    Raises
    ------
    UserError
        If the file is missing or unreadable, a mapping names an unknown contract column
        or a CSV column that does not exist, a required column is not mapped, a value
        does not convert (naming the line), ids repeat, or a label value is not mapped.
    """
    path = Path(src)
    if table not in CSV_TABLES:
        raise UserError(f"--table {table}: not a table csv can fill{_near(table, CSV_TABLES)}",
                        hint="use one of: " + ", ".join(CSV_TABLES))
    if not path.is_file():
        raise UserError(f"{path}: no such file", hint=f"pass the CSV of {table} to import")
    if label is not None and table != "accounts":
        raise UserError(f"--label applies to --table accounts, not {table}",
                        hint="import labels with the accounts")
    pairs = mapping if isinstance(mapping, Mapping) else parse_pairs(mapping, "--map")
    accounts_table = TABLES[table]
    targets = accounts_table.names
    derived = DERIVED[table]
    allowed = (*targets, *(d for d in derived if d not in targets))
    for target in pairs:
        if target not in allowed:
            extra = (f"; {', '.join(derived)} give derived columns" if derived else "")
            raise UserError(
                f"--map {target}={pairs[target]}: {target!r} is not a column of "
                f"the {table} table{_near(target, allowed)}",
                hint="map to one of: " + ", ".join(targets) + extra,
            )
    delimiter = sep or _sniff(path)
    try:
        raw = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=delimiter,
            encoding="utf-8-sig",
            engine="python" if len(delimiter) > 1 else "c",
        )
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text ({exc.reason})", hint="re-save the file as UTF-8"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(
            f"{path}: not a readable CSV file ({exc})",
            hint="check the separator (--sep) and quoting",
        ) from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty:
        raise UserError(f"{path}: the file has a header but no rows", hint="add account rows")
    columns = list(raw.columns)
    for target, source in pairs.items():
        if source not in raw:
            raise UserError(
                f"{path}: --map {target}={source}: the file has no column "
                f"{source!r}{_near(source, columns)}",
                hint="columns are: " + ", ".join(columns[:30]),
            )
    chosen = dict(pairs)
    mapped_sources = set(pairs.values())
    for name in allowed:
        if name not in chosen and name in raw and name not in mapped_sources:
            chosen[name] = name
    needed = [c.name for c in accounts_table.columns if c.required
              and not (table == "accounts" and c.name == "account_id")]
    for name in needed:
        if name not in chosen:
            hint = f"add --map {name}=COLUMN; columns are: " + ", ".join(columns[:30])
            raise UserError(f"{path}: no column is mapped to {name} (required in {table})",
                            hint=hint)
    lines = np.arange(len(raw)) + 2
    accounts = pd.DataFrame(index=raw.index)
    for target in targets:
        if target not in chosen:
            continue
        source = chosen[target]
        text = raw[source].str.strip()
        empty = (text == "").to_numpy()
        col = accounts_table.column(target)
        if col.kind == "int" and col.unit in {"count", "characters"}:
            num = _counts(text)
            bad = ~empty & (num.isna() | (num % 1 != 0)).to_numpy()
            _fail_cells(path, lines, bad, raw[source], source, target, "whole numbers")
            accounts[target] = num.mask(empty).astype("Float64").astype("Int64")
        elif col.kind in {"int", "float"}:
            num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
            bad = ~empty & num.isna().to_numpy()
            _fail_cells(path, lines, bad, raw[source], source, target, "numbers")
            accounts[target] = num.mask(empty)
        elif col.kind == "bool":
            low = text.str.lower()
            bad = ~empty & ~low.isin(_TRUE | _FALSE).to_numpy()
            _fail_cells(path, lines, bad, raw[source], source, target, "0/1, true/false or yes/no")
            accounts[target] = low.map(
                lambda v: 1 if v in _TRUE else (0 if v in _FALSE else None)
            ).astype("Int64")
        elif col.kind in {"date", "timestamp"}:
            accounts[target] = _times(path, lines, text, empty, source, target, col.kind,
                                      date_format)
        else:
            accounts[target] = text.mask(empty)
    if date_format is not None:
        timed = [t for t in targets if t in chosen
                 and accounts_table.column(t).kind in {"date", "timestamp"}]
        if not timed:
            raise UserError(f"--date-format {date_format}: no date or time column of the "
                            f"{table} table is mapped",
                            hint="leave --date-format out, or map the date column")
    derived_notes = _derive(raw, accounts, chosen, derived)
    if table != "accounts":
        return _other_table(table, path, raw, accounts, chosen, lines, derived_notes)
    id_note = ""
    if "account_id" in accounts:
        ids = accounts["account_id"]
        missing = ids.isna().to_numpy()
        _fail_cells(
            path,
            lines,
            missing,
            raw[chosen["account_id"]],
            chosen["account_id"],
            "account_id",
            "filled in (every account needs an id)",
        )
        dup = ids.duplicated().to_numpy()
        _fail_cells(
            path,
            lines,
            dup,
            raw[chosen["account_id"]],
            chosen["account_id"],
            "account_id",
            "unique (the same id appears on an earlier line)",
        )
    elif "username" in accounts and id_prefix is None:
        names = accounts["username"]
        source = chosen["username"]
        _fail_cells(path, lines, names.isna().to_numpy(), raw[source], source, "account_id",
                    "filled in (no account_id is mapped, so the usernames are the ids)")
        _fail_cells(path, lines, names.duplicated().to_numpy(), raw[source], source,
                    "account_id", "unique (no account_id is mapped, so the usernames are "
                    "the ids; this one appears on an earlier line)")
        accounts.insert(0, "account_id", names.to_numpy())
        id_note = (f"account ids: the usernames (column {source!r}), as no account_id is "
                   "mapped; map account_id=COLUMN for other ids")
    else:
        prefix = id_prefix or re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "account"
        accounts.insert(0, "account_id", stable_ids(prefix, np.arange(1, len(raw) + 1)))
        id_note = (f"account ids: {prefix}-000001 and on, by row ("
                   + ("--id-prefix)" if id_prefix else "neither account_id nor username is "
                      "mapped)"))
    if "platform" not in accounts:
        accounts.insert(1, "platform", platform)
    missing_followers = accounts["followers"].isna().to_numpy()
    _fail_cells(
        path,
        lines,
        missing_followers,
        raw[chosen["followers"]],
        chosen["followers"],
        "followers",
        "filled in (followers is required)",
    )
    tables = {"accounts": accounts.reset_index(drop=True)}
    notes = ["columns: " + ", ".join(f"{t} <- {s}" for t, s in chosen.items()),
             *([id_note] if id_note else []), *derived_notes]
    if label is not None:
        labels, label_notes = _labels(raw, accounts, path, lines, label, label_values)
        tables["labels"] = labels
        notes += label_notes
    elif label_values:
        raise UserError(
            "--label-values given without --label", hint="name the label column with --label COLUMN"
        )
    return Imported(tables=tables, notes=notes, lines={"accounts": lines})


def _derive(raw: pd.DataFrame, out: pd.DataFrame, chosen: dict[str, str],
            derived: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Fill derived columns from the raw text (bio, username, caption) where not mapped."""
    notes = []
    for source_name, gives in derived.items():
        if source_name not in chosen:
            continue
        text = raw[chosen[source_name]]
        empty = (text.str.strip() == "").to_numpy()
        made = []
        for col in gives:
            if col in chosen:
                continue
            if col in {"bio_length", "caption_length", "username_length"}:
                value = text.str.len()
            elif col == "username_digits":
                value = text.str.count(r"\d")
            else:  # hashtags
                value = text.str.count(_HASHTAG.pattern)
            if col != "caption_length" and col != "hashtags":
                value = value.mask(empty)
            out[col] = value.astype("Int64")
            made.append(col)
        if made:
            notes.append(f"derived {', '.join(made)} from {source_name} "
                         f"(column {chosen[source_name]!r})")
    return notes


def _other_table(table: str, path: Path, raw: pd.DataFrame, frame: pd.DataFrame,
                 chosen: dict[str, str], lines: np.ndarray, notes: list[str]) -> Imported:
    """Finish a non-accounts table: every row needs its account and the required values."""
    spec = TABLES[table]
    for col in spec.columns:
        if col.required and not col.nullable and col.name in frame:
            _fail_cells(path, lines, frame[col.name].isna().to_numpy(), raw[chosen[col.name]],
                        chosen[col.name], col.name, f"filled in ({col.name} is required)")
    order = [c for c in spec.names if c in frame]
    frame = frame[order].reset_index(drop=True)
    notes = ["columns: " + ", ".join(f"{t} <- {s}" for t, s in chosen.items()), *notes]
    return Imported(tables={table: frame}, notes=notes, lines={table: lines})


def _labels(
    raw: pd.DataFrame,
    accounts: pd.DataFrame,
    path: Path,
    lines: np.ndarray,
    label: str,
    label_values: Mapping[str, str] | str | Iterable[str] | None,
) -> tuple[pd.DataFrame, list[str]]:
    target, sep, source = label.partition("=")
    if not sep:
        source = target
    elif target.strip() != "is_fake":
        raise UserError(
            f"--label {label}: only is_fake=COLUMN (or COLUMN) is understood",
            hint="e.g. --label is_fake=Fake.Or.Not",
        )
    source = source.strip()
    if source not in raw:
        raise UserError(
            f"{path}: --label {label}: the file has no column {source!r}"
            f"{_near(source, raw.columns)}",
            hint="columns are: " + ", ".join(list(raw.columns)[:30]),
        )
    values = (
        label_values
        if isinstance(label_values, Mapping)
        else parse_pairs(label_values, "--label-values")
    )
    table = (
        _label_targets(values)
        if values
        else {**{v: (1, "fake") for v in _TRUE}, **{v: (0, "none") for v in _FALSE}}
    )
    cells = raw[source].str.strip().str.lower()
    empty = (cells == "").to_numpy()
    known = cells.isin(list(table)).to_numpy()
    bad = ~empty & ~known
    if bad.any():
        distinct = list(dict.fromkeys(raw[source].str.strip()[bad]))[:8]
        idx = np.flatnonzero(bad)[:_EXAMPLES]
        where = ", ".join(f"line {lines[i]}" for i in idx)
        raise UserError(
            f"{path}, column {source!r}: label value(s) "
            f"{', '.join(map(repr, distinct))} are not mapped ({where})",
            hint="say what each value means, e.g. --label-values "
            + ",".join(f"{v}=1" for v in distinct[:2])
            + " (values: 0, 1 or a fraud type)",
        )
    keep = np.flatnonzero(~empty)
    mapped = cells.iloc[keep].map(table)
    labels = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[keep],
            "is_fake": [m[0] for m in mapped],
            "fraud_type": [m[1] for m in mapped],
            "source": path.stem,
        }
    )
    notes = []
    if empty.any():
        notes.append(f"{int(empty.sum()):,} account(s) have an empty label cell and no label")
    return labels, notes
