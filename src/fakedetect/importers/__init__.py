"""Importers: turn public labelled sets and users' own files into contract datasets.

One function per source format, each returning the contract tables it could build
(:class:`Imported`), and :func:`run_import`, which runs one of them, writes the dataset
(checked against the contract before it lands in the output folder) and returns an
:class:`ImportSummary`.

========== ============================================== ==============================
format     source                                         tables
========== ============================================== ==============================
instafake  InstaFake JSON files (Akyon & Kalfaoglu 2019)  accounts, posts, labels
purba      Purba et al. (2020) 4-class CSV                accounts, labels
instaloader folder written by the instaloader tool        accounts, posts, snapshots,
                                                          comments
csv        any CSV + a column mapping (``--table``)       accounts, labels, snapshots,
                                                          posts, comments or audience
========== ============================================== ==============================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakedetect.errors import UserError
from fakedetect.importers._common import Imported

__all__ = [
    "FORMATS",
    "ImportSummary",
    "Imported",
    "import_csv",
    "import_instafake",
    "import_instaloader",
    "import_purba",
    "run_import",
]

#: Importer name -> options it accepts (besides the source path).
FORMATS: dict[str, tuple[str, ...]] = {
    "instafake": ("part",),
    "purba": (),
    "instaloader": (),
    "csv": ("table", "mapping", "label", "label_values", "id_prefix", "sep", "platform",
            "date_format"),
}
#: Option name -> how a user types it, for error messages.
_OPTION_FLAGS = {
    "part": "--part",
    "table": "--table",
    "mapping": "--map",
    "label": "--label",
    "label_values": "--label-values",
    "id_prefix": "--id-prefix",
    "sep": "--sep",
    "platform": "--platform",
    "date_format": "--date-format",
}


def import_instafake(src: str | os.PathLike[str], *, part: str = "all") -> Imported:
    """Read the InstaFake JSON files (see :mod:`fakedetect.importers.instafake`)."""
    from fakedetect.importers.instafake import import_instafake as run

    return run(src, part=part)  # type: ignore[arg-type]


def import_purba(src: str | os.PathLike[str]) -> Imported:
    """Read the Purba et al. 4-class CSV (see :mod:`fakedetect.importers.purba`)."""
    from fakedetect.importers.purba import import_purba as run

    return run(src)


def import_instaloader(src: str | os.PathLike[str]) -> Imported:
    """Read a folder written by instaloader (see :mod:`fakedetect.importers.instaloader`)."""
    from fakedetect.importers.instaloader import import_instaloader as run

    return run(src)


def import_csv(src: str | os.PathLike[str], **options: Any) -> Imported:
    """Read a CSV of accounts with a column mapping (see :mod:`fakedetect.importers.csvmap`)."""
    from fakedetect.importers.csvmap import import_csv as run

    return run(src, **options)


_RUNNERS = {
    "instafake": import_instafake,
    "purba": import_purba,
    "instaloader": import_instaloader,
    "csv": import_csv,
}


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote.

    Attributes
    ----------
    fmt : str
        Importer name.
    source : Path
        What was read.
    out : Path
        The dataset folder written.
    files : dict
        Table name to written file.
    rows : dict
        Table name to row count.
    n_fake, n_genuine : int
        Labelled accounts of each kind (0 and 0 without a labels table).
    fraud_types : dict
        ``fraud_type`` to number of labelled accounts.
    duplicates_dropped : int
        Exact duplicate source rows removed.
    notes : list of str
        Other facts about the import (files read, skipped items, derived values).
    warnings : list of str
        Evidence the import could not build, with what to do.
    """

    fmt: str
    source: Path
    out: Path
    files: dict[str, Path]
    rows: dict[str, int]
    n_fake: int = 0
    n_genuine: int = 0
    fraud_types: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The summary as short lines for the terminal."""
        out = [f"imported {self.fmt} from {self.source}"]
        out.append("tables: " + ", ".join(f"{name} {n:,}" for name, n in self.rows.items()))
        if self.n_fake or self.n_genuine:
            total = self.n_fake + self.n_genuine
            share = self.n_fake / total if total else 0.0
            kinds = ", ".join(f"{k} {n:,}" for k, n in self.fraud_types.items())
            out.append(
                f"labels: {self.n_fake:,} fake, {self.n_genuine:,} genuine "
                f"({share:.1%} fake); fraud_type: {kinds}"
            )
        out.append(f"duplicates dropped: {self.duplicates_dropped:,}")
        out.extend(f"note: {n}" for n in self.notes)
        out.append(f"written to {self.out} ({', '.join(p.name for p in self.files.values())})")
        return out


def run_import(
    fmt: str,
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    out_format: str = "csv",
    force: bool = False,
    **options: Any,
) -> ImportSummary:
    """Import ``src`` with the ``fmt`` importer and write a valid dataset to ``out``.

    Parameters
    ----------
    fmt : {"instafake", "purba", "instaloader", "csv"}
        The importer.
    src : path-like
        File or folder to read.
    out : path-like
        Dataset folder to write (created when missing).
    out_format : {"csv", "parquet", "jsonl"}
        File format of the written tables.
    force : bool
        Replace the table files already in ``out`` even when an earlier import did not
        write them.
    **options
        Importer options (``part`` for instafake; ``table``, ``mapping``, ``label``,
        ``label_values``, ``id_prefix``, ``sep``, ``platform``, ``date_format`` for
        csv). Options set to ``None`` are ignored.

    Notes
    -----
    Importing into a folder that earlier imports (or ``fakedetect collect``) wrote
    merges the new rows into its tables (see :func:`fakedetect.importers._common.merge`);
    ``force`` replaces the tables instead.

    Returns
    -------
    ImportSummary

    Raises
    ------
    UserError
        For an unknown importer, an option the importer does not take, bad input, or
        tables that break the contract.
    """
    from fakedetect.importers._common import label_counts, write_dataset

    name = fmt.strip().lower()
    if name not in FORMATS:
        raise UserError(f"unknown import format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    given = {k: v for k, v in options.items() if v is not None and v != () and v != []}
    wrong = [k for k in given if k not in FORMATS[name]]
    if wrong:
        flags = ", ".join(_OPTION_FLAGS.get(k, k) for k in wrong)
        takes = ", ".join(_OPTION_FLAGS[k] for k in FORMATS[name]) or "no options"
        raise UserError(
            f"{flags} does not apply to the {name} importer",
            hint=f"the {name} importer takes {takes}",
        )
    source = Path(src)
    imported = _RUNNERS[name](source, **given)
    dest = Path(out)
    files = write_dataset(imported, dest, out_format, force=force, source=str(source), fmt=name)
    n_fake, n_genuine, kinds = label_counts(imported.tables.get("labels"))
    return ImportSummary(
        fmt=name,
        source=source,
        out=dest,
        files=files,
        rows={t: len(f) for t, f in imported.tables.items()},
        n_fake=n_fake,
        n_genuine=n_genuine,
        fraud_types=kinds,
        duplicates_dropped=imported.duplicates_dropped,
        notes=tuple(imported.notes),
        warnings=tuple(imported.warnings),
    )
