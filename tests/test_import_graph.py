"""The import graph has no cycles: a module imports only from layers below it
(docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_cycles_among_fakedetect_modules() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "import_graph.py"),
                           "--src", str(ROOT / "src")], capture_output=True, text=True,
                          check=False)
    assert "0 cyclic group(s)" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
