"""numpy's huge-page advice is off inside ordinary_pages and restored after it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fakedetect import memory


def _advice() -> bool:
    setter = memory._setter()
    if setter is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    current = bool(setter(True))  # read by setting, then put back
    setter(current)
    return current


@pytest.mark.parametrize("before", [True, False])
def test_advice_is_off_inside_and_restored_after(before: bool) -> None:
    setter = memory._setter()
    if setter is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    old = bool(setter(before))
    try:
        with memory.ordinary_pages():
            assert _advice() is False
            with memory.ordinary_pages():  # re-entrant
                assert _advice() is False
            assert _advice() is False, "an inner block must not restore early"
            np.ones(1 << 20)  # allocation works as ever
        assert _advice() is before
    finally:
        setter(old)


def test_the_last_thread_out_restores_the_advice() -> None:
    setter = memory._setter()
    if setter is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    old = bool(setter(True))
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
        setter(old)


def test_loading_leaves_the_setting_as_it_found_it(sim_dir) -> None:
    from fakedetect.validate import load_dataset

    setter = memory._setter()
    if setter is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    old = bool(setter(True))
    try:
        load_dataset(sim_dir)
        assert _advice() is True
    finally:
        setter(old)


def test_an_error_inside_restores_the_advice() -> None:
    setter = memory._setter()
    if setter is None:
        pytest.skip("this numpy has no switch for its huge-page advice")
    old = bool(setter(True))
    try:
        with pytest.raises(RuntimeError), memory.ordinary_pages():
            assert _advice() is False
            raise RuntimeError("boom")
        assert _advice() is True
        assert memory._DEPTH == 0
    finally:
        setter(old)
