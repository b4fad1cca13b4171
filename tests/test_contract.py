"""The contract is defined once, in code; data/README.md shows it and must agree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from fakedetect.contract import FORMATS, KINDS, REFERENCING, RULES, TABLES, markdown
from fakedetect.validate import REJECT_COLUMNS

README = Path(__file__).resolve().parents[1] / "data" / "README.md"
START = "<!-- contract:start"
GENERATED = "<!-- contract:generated"
END = "<!-- contract:end -->"


def _section() -> tuple[str, str]:
    """The hand-written explanation and the generated part of the contract section."""
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1 and text.count(GENERATED) == 1
    body = text.split(START, 1)[1].split(END, 1)[0]
    prose, generated = body.split(GENERATED, 1)
    return prose, generated.split("-->", 1)[1]


def test_readme_section_is_the_generated_contract() -> None:
    _, generated = _section()
    assert generated.strip() == markdown().strip(), (
        "data/README.md is out of date: paste the output of `python -m fakedetect.contract` "
        "below the contract:generated marker")


def test_module_prints_the_contract() -> None:
    out = subprocess.run([sys.executable, "-m", "fakedetect.contract"], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == markdown().strip()


def test_markdown_has_every_table_column_type_and_rule() -> None:
    text = markdown()
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        assert f"### `{table.name}` ({need})" in text
        for col in table.columns:
            row = next(ln for ln in text.splitlines()
                       if ln.startswith(f"| `{col.name}` |") and col.description in ln)
            assert f"| {col.kind} |" in row
    for kind in KINDS:
        assert f"| {kind} | {KINDS[kind]} |" in text
    for rule, meaning in RULES.items():
        assert f"| {rule} | {meaning} |" in text


def test_readme_explains_formats_and_the_rejects_file() -> None:
    prose, _ = _section()
    for suffix in FORMATS:
        assert f"`{suffix}`" in prose
    documented = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \|", prose, flags=re.MULTILINE)
    names = [n for cell in documented for n in re.findall(r"`(\w+)`", cell)]
    assert names == list(REJECT_COLUMNS)
    for phrase in ("--lenient", "line 2", "`row`", "2006-01-01", "UTC", "exit code is 0",
                   "load_dataset"):
        assert phrase in prose


def test_tables_are_consistent() -> None:
    assert [t.name for t in TABLES.values() if t.required] == ["accounts"]
    assert set(REFERENCING) == set(TABLES) - {"accounts"}
    for table in TABLES.values():
        names = table.names
        assert len(set(names)) == len(names), table.name
        first = table.columns[0]
        assert (first.name, first.kind, first.required, first.nullable) == (
            "account_id", "id", True, False)
        assert set(table.key) <= set(names)
        for key in table.key:
            assert not table.column(key).nullable, (table.name, key)
        for col in table.columns:
            assert col.kind in KINDS
            assert col.description.endswith("."), (table.name, col.name)
            assert not (col.required and col.nullable and col.name in table.key)
            if col.minimum is not None and col.maximum is not None:
                assert col.minimum < col.maximum
            if col.unit == "count":
                assert col.kind in {"int", "float"} and col.minimum == 0
            if col.kind in {"bool", "timestamp", "date", "id", "string", "category"}:
                assert col.minimum is None and col.maximum is None


def test_formats_map_to_known_readers() -> None:
    assert set(FORMATS.values()) == {"csv", "parquet", "jsonl"}
    assert all(s.startswith(".") and s == s.lower() for s in FORMATS)
