"""numpy's huge-page advice is off inside ordinary_pages and restored after it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fakedetect import memory


@pytest.fixture
def setter() -> Iterator[Callable[[bool], bool]]:
    """numpy's switch, with the advice on at the start and the old setting put back."""
    switch = memory._setter()
    if switch is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    old = bool(switch(True))  # type: ignore[operator]
    yield switch  # type: ignore[misc]
    switch(old)  # type: ignore[operator]


def _advice() -> bool:
    switch = memory._setter()
    assert switch is not None
    current = bool(switch(True))  # type: ignore[operator]  # read by setting, then put back
    switch(current)  # type: ignore[operator]
    return current


@pytest.mark.parametrize("before", [True, False])
def test_advice_is_off_inside_and_restored_after(setter: Callable[[bool], bool],
                                                 before: bool) -> None:
    setter(before)
    with memory.ordinary_pages():
        assert _advice() is False
        with memory.ordinary_pages():  # re-entrant
            assert _advice() is False
        assert _advice() is False, "an inner block must not restore early"
        np.ones(1 << 20)  # allocation works as ever
    assert _advice() is before


def test_the_last_thread_out_restores_the_advice(setter: Callable[[bool], bool]) -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with memory.ordinary_pages():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    try:
        worker.start()
        assert inside.wait(10)
        with memory.ordinary_pages():
            pass
        assert _advice() is False, "the other thread is still inside"
        release.set()
        worker.join(10)
        assert _advice() is True
    finally:
        release.set()
        worker.join(10)


def test_loading_leaves_the_setting_as_it_found_it(setter: Callable[[bool], bool],
                                                   sim_dir) -> None:
    from fakedetect.validate import load_dataset

    load_dataset(sim_dir)
    assert _advice() is True


def test_an_error_inside_restores_the_advice(setter: Callable[[bool], bool]) -> None:
    with pytest.raises(RuntimeError), memory.ordinary_pages():
        assert _advice() is False
        raise RuntimeError("boom")
    assert _advice() is True
    assert memory._DEPTH == 0


def _python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (mimalloc reads its options once per process)."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MALLOC_", "MIMALLOC_"))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**clean, **env}, check=True, timeout=120)
    return proc.stdout + proc.stderr


_KEEP = """
import os, sys
from fakedetect import memory
done = memory.keep_freed_memory()
print("done", done, "env", sorted(k for k in os.environ if k.startswith("MIMALLOC_PURGE")))
import pyarrow  # loaded by now, or here: either way mimalloc has printed its options
"""


def test_keep_freed_memory_sets_mimalloc_for_this_process_only() -> None:
    import platform

    out = _python(_KEEP, MIMALLOC_VERBOSE="1")  # mimalloc prints its options as it loads
    assert "option 'purge_delay': -1" in out
    assert "'mimalloc': True" in out
    assert "env []" in out  # put back: child processes keep the defaults
    assert out.count("option 'purge_delay'") == 1
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert f"'glibc': {glibc}" in out


def test_keep_freed_memory_leaves_the_users_setting_and_a_loaded_pyarrow_alone() -> None:
    out = _python(_KEEP, MIMALLOC_VERBOSE="1", MIMALLOC_PURGE_DELAY="25")
    assert "option 'purge_delay': 25" in out and "'mimalloc': False" in out
    out = _python("import pyarrow\n" + _KEEP, MIMALLOC_VERBOSE="1")
    assert "option 'purge_delay': -1" not in out and "'mimalloc': False" in out


def test_keep_freed_memory_leaves_glibc_tunables_and_a_broken_pyarrow_alone(
        tmp_path: Path) -> None:
    out = _python(_KEEP.replace("import pyarrow  #", "#"),
                  GLIBC_TUNABLES="glibc.malloc.trim_threshold=1000")
    assert "'glibc': False" in out
    broken = tmp_path / "broken"
    (broken / "pyarrow").mkdir(parents=True)
    (broken / "pyarrow" / "__init__.py").write_text("raise ImportError('no pyarrow here')\n")
    import os

    path = os.pathsep.join([str(broken), os.environ.get("PYTHONPATH", "")])
    out = _python(_KEEP.replace("import pyarrow  #", "#"), PYTHONPATH=path)
    assert "'mimalloc': False" in out and "env []" in out
