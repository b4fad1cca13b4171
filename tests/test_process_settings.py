"""Library code leaves the process's settings to the user: no backend, environment,
allocator or global thread-pool changes outside the command-line entry point."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fakedetect"

#: Calls that change a setting of the whole process.
FORBIDDEN = {
    "matplotlib backend": re.compile(r"matplotlib\.use\(|plt\.switch_backend\("),
    "environment write": re.compile(r"os\.environ\[[^\]]+\]\s*=|os\.environ\.(setdefault|"
                                    r"update|pop)\(|os\.putenv\("),
    "allocator": re.compile(r"mallopt|mi_option_set|NUMPY_MADVISE"),
    "thread pool": re.compile(r"threadpool_limits|omp_set_num_threads"),
}


def test_library_modules_change_no_process_setting() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "cli":  # the user's process entry point, scoped per command
            continue
        text = path.read_text(encoding="utf-8")
        for what, pattern in FORBIDDEN.items():
            found += [f"{path.relative_to(SRC)}:{text.count(chr(10), 0, m.start()) + 1}: "
                      f"{what}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_the_check_sees_a_forbidden_call(tmp_path: Path) -> None:
    sample = 'import os\nos.environ["OMP_NUM_THREADS"] = "1"\nmatplotlib.use("Agg")\n'
    hits = [what for what, pattern in FORBIDDEN.items() if pattern.search(sample)]
    assert hits == ["matplotlib backend", "environment write"]
