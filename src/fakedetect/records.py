"""Account records sent as JSON: the one reader of ``fakedetect predict -`` and of the
served model (:mod:`fakedetect.serving`).

A record is one account: the columns of the data contract's ``accounts`` table, and
optionally its history nested under ``history``, an object of ``snapshots``, ``posts``,
``comments`` and ``audience`` lists of rows (``account_id`` may be left out in them). A
list in a ``snapshots``, ``comments`` or ``audience`` key, or in ``posts`` (where a number
is the profile's post count), is read as that table too. Any other key is refused, with
the closest known key, so a typo such as ``histroy`` is never dropped without a word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate import Dataset

#: The history tables a record may nest under ``history``.
HISTORY_TABLES = ("snapshots", "posts", "comments", "audience")
#: Keys of the older ``predict -`` document, ``{"account": {...}, "snapshots": [...]}``.
DOCUMENT_KEYS = ("account", *HISTORY_TABLES)
#: The key of MLflow's JSON request body that holds a list of records.
RECORDS_KEY = "dataframe_records"


def record_keys() -> tuple[str, ...]:
    """Every key a record may have: the ``accounts`` columns, ``history`` and the tables."""
    from fakedetect.contract import TABLES

    return (*TABLES["accounts"].names, "history",
            *(t for t in HISTORY_TABLES if t not in TABLES["accounts"].names))


def check_keys(keys: list[str], allowed: tuple[str, ...], where: str, what: str) -> None:
    """Refuse keys that are not in ``allowed``, naming the closest allowed one.

    Parameters
    ----------
    keys : list of str
        The keys sent.
    allowed : tuple of str
        The keys understood.
    where : str
        Where the keys were sent, for the message (``<stdin>``, ``request row 1``).
    what : str
        What they are keys of, in words (``an account record``).

    Raises
    ------
    UserError
        ``<where>: unknown key 'histroy' in an account record (did you mean 'history'?)``,
        with the keys understood.
    """
    import difflib

    unknown = [k for k in keys if k not in allowed]
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], list(allowed), n=1, cutoff=0.6)
    near = f" (did you mean {close[0]!r}?)" if close else ""
    more = f"; also {', '.join(map(repr, unknown[1:4]))}" if len(unknown) > 1 else ""
    raise UserError(f"{where}: unknown key {unknown[0]!r} in {what}{near}{more}",
                    hint="the keys understood are " + ", ".join(allowed)
                         + "; see docs/usage.md (predict -, serving)")


def records_from_json(doc: object, where: str = "<stdin>") -> list[dict[str, Any]]:
    """The account records of a parsed JSON document, in any of the accepted shapes.

    Parameters
    ----------
    doc : object
        The parsed JSON: one record (the served shape, history under ``history``); a
        list of records; MLflow's ``{"dataframe_records": [...]}``; or the document
        ``{"account": {...}, "snapshots": [...], "posts": [...], ...}``.
    where : str
        Where it came from, for messages.

    Returns
    -------
    list of dict
        One record per account, history nested under ``history`` where given.

    Raises
    ------
    UserError
        Not an object or a list of objects, or an unknown key.
    """
    if isinstance(doc, dict) and RECORDS_KEY in doc:
        check_keys(list(doc), (RECORDS_KEY,), where, "a request body")
        doc = doc[RECORDS_KEY]
    if isinstance(doc, dict) and "account" in doc:
        check_keys(list(doc), DOCUMENT_KEYS, where,
                   'a document of the form {"account": {...}, "snapshots": [...]}')
        account = doc["account"]
        if not isinstance(account, dict):
            raise UserError(f"{where}: 'account' must be an object of account columns",
                            hint='e.g. {"account": {"account_id": "lena", "followers": '
                                 '24100}, "snapshots": [...]}')
        history = {t: doc[t] for t in HISTORY_TABLES if t in doc}
        return [{**account, **({"history": history} if history else {})}]
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        return list(doc)
    raise UserError(f"{where}: expected a JSON object describing one account, or a list "
                    "of them", hint='e.g. {"account_id": "lena", "followers": 24100, '
                                    '"history": {"snapshots": [...]}}')


def dataset_from_records(records: pd.DataFrame | list[dict[str, Any]], *,
                         where: str = "<request>", row_word: str = "request row",
                         default_id: str = "row") -> Dataset:
    """Validate account records (with optional nested history) as a dataset.

    Parameters
    ----------
    records : pandas.DataFrame or list of dict
        One row per account: ``accounts`` columns, and optionally ``history``, an object
        of ``snapshots``, ``posts``, ``comments`` and ``audience`` lists of row objects.
        A list in a ``snapshots``, ``comments`` or ``audience`` column, or in ``posts``
        (where a number is the profile's post count), is read as that table too.
    where : str
        What the records are called in messages (``<request>``, ``<stdin>``).
    row_word : str
        How a record is named in messages (``request row 2``).
    default_id : str
        Records without an ``account_id`` get ``<default_id><n>``, n from 1.

    Returns
    -------
    Dataset

    Raises
    ------
    UserError
        An unknown key (with the closest known one), a history that is not an object of
        lists of objects, or a row that breaks the data contract (named by table, row and
        column).
    """
    import tempfile
    from pathlib import Path

    import pandas as pd

    from fakedetect.io import write_table
    from fakedetect.validate import load_dataset

    rows = (records.to_dict(orient="records") if isinstance(records, pd.DataFrame)
            else list(records))
    allowed = record_keys()
    accounts: list[dict[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in HISTORY_TABLES}
    for i, rec in enumerate(rows):
        label = f"{where} {row_word} {i + 1}" if len(rows) > 1 or where == "<request>" \
            else where
        check_keys([k for k, v in rec.items() if not _missing(v)], allowed, label,
                   "an account record")
        history = rec.get("history")
        if _missing(history):
            history = {}
        if not isinstance(history, dict):
            raise UserError(f"{label}: 'history' must be an object of "
                            f"{', '.join(HISTORY_TABLES)} lists",
                            hint='e.g. "history": {"snapshots": [{"date": "2026-10-01", '
                                 '"followers": 1200}]}')
        check_keys(list(history), HISTORY_TABLES, label, "'history'")
        account = {k: _plain(v) for k, v in rec.items() if k != "history"
                   and not _is_rows(v) and not _missing(v)}
        account.setdefault("account_id", f"{default_id}{i + 1}")
        acc_id = account["account_id"]
        for table in HISTORY_TABLES:
            found = history.get(table)
            if found is None and _is_rows(rec.get(table)):
                found = rec[table]
            if found is None:
                continue
            if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
                raise UserError(f"{label}: history {table!r} must be a list of objects")
            tables[table].extend({"account_id": acc_id,
                                  **{k: _plain(v) for k, v in r.items()}} for r in found)
        accounts.append(account)
    with tempfile.TemporaryDirectory(prefix="fakedetect-records-") as tmp:
        root = Path(tmp)
        write_table(pd.DataFrame(accounts), root / "accounts.jsonl")
        for table, found in tables.items():
            if found:
                write_table(pd.DataFrame(found), root / f"{table}.jsonl")
        try:
            dataset = load_dataset(root)
        except UserError as exc:  # name what was sent, not a folder that is gone
            raise UserError(exc.message.replace(str(root), where), hint=exc.hint) from None
    dataset.path = Path(where)
    return dataset


def _is_rows(value: object) -> bool:
    return isinstance(value, list)


def _plain(value: object) -> object:
    """A whole number that a table column turned into a float, back as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
