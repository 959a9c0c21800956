"""The import's check scheduler: two threads, never two large checks at once."""

import os
import sys
import threading
import time

import pytest

from clusterkg.graph import validation
from clusterkg.graph.shacl_sparql import compile_shapes


def _recording(kinds: list[bool], seconds: float = 0.02):
    """Tasks that sleep (releasing the GIL, as a query does) and record what ran beside them."""
    lock = threading.Lock()
    running: list[int] = []
    seen = {"large_together": 0, "together": 0}

    def task(index: int):
        def run():
            with lock:
                running.append(index)
                seen["together"] = max(seen["together"], len(running))
                seen["large_together"] = max(seen["large_together"], sum(kinds[i] for i in running))
            time.sleep(seconds)
            with lock:
                running.remove(index)
            return [index]
        return run

    return [task(i) for i in range(len(kinds))], seen


def test_large_checks_never_run_together_but_small_ones_run_beside_them():
    kinds = [True, True, False, True, False, False, False, True, False, False]
    tasks, seen = _recording(kinds)
    assert validation._run_side_by_side(tasks, kinds, release=True) == [[i] for i in range(len(kinds))]
    assert seen["large_together"] == 1
    assert seen["together"] == 2  # the second thread worked beside the large ones


def test_without_large_checks_two_run_at_once():
    kinds = [False] * 6
    tasks, seen = _recording(kinds)
    assert validation._run_side_by_side(tasks, kinds, release=False) == [[i] for i in range(6)]
    assert seen["together"] == 2


def test_only_large_checks_run_one_after_the_other():
    kinds = [True] * 5
    tasks, seen = _recording(kinds)
    assert validation._run_side_by_side(tasks, kinds, release=False) == [[i] for i in range(5)]
    assert seen["together"] == 1


@pytest.mark.parametrize("release", [True, False])
def test_memory_is_given_back_after_each_large_check_of_a_large_store(monkeypatch, release):
    kinds = [True, False, False, True, False, False, False, True, False, False]
    tasks, _ = _recording(kinds, seconds=0.005)
    trims = []
    monkeypatch.setattr(validation, "_release_memory", lambda: trims.append(threading.get_native_id()))
    validation._run_side_by_side(tasks, kinds, release=release)
    assert len(trims) == (sum(kinds) if release else 0)  # (a trim walks the whole heap: not after small ones)


def _nice(thread: int = 0) -> int:
    """A thread's CPU priority (0: the process's); 0 off Linux, where checks keep theirs."""
    return os.getpriority(os.PRIO_PROCESS, thread) if sys.platform.startswith("linux") else 0


def _threads_and_priorities(kinds: list[bool], release: bool):
    """Which thread ran each task, at which CPU priority (nice)."""
    seen = {}

    def task(index: int):
        def run():
            thread = threading.get_native_id()
            seen[index] = (thread, _nice(thread))
            time.sleep(0.01)
            return [index]
        return run

    tasks = [task(i) for i in range(len(kinds))]
    assert validation._run_side_by_side(tasks, kinds, release=release) == [[i] for i in range(len(kinds))]
    return seen


def test_in_a_large_store_the_large_checks_keep_one_thread_and_the_others_run_below_it():
    kinds = [False, True, False, False, True, False, True, False, False, False]
    seen = _threads_and_priorities(kinds, release=True)
    large_threads = {seen[i][0] for i in range(len(kinds)) if kinds[i]}
    assert len(large_threads) == 1  # one after the other, in the first thread
    own = _nice()
    beside = {priority for thread, priority in seen.values() if thread not in large_threads}
    assert {seen[i][1] for i in range(len(kinds)) if kinds[i]} == {own}
    if sys.platform.startswith("linux"):
        assert beside == {min(own + validation.BESIDE_NICENESS, 19)}


def test_in_a_small_store_every_check_keeps_the_processs_priority():
    kinds = [False] * 8
    seen = _threads_and_priorities(kinds, release=False)
    own = _nice()
    assert {priority for _, priority in seen.values()} == {own}
    assert len({thread for thread, _ in seen.values()}) == 2


def test_a_failing_check_fails_the_run_and_stops_the_rest():
    started = []

    def fine(index):
        def run():
            started.append(index)
            time.sleep(0.01)
            return []
        return run

    def broken():
        raise RuntimeError("query failed")

    tasks = [broken, *(fine(i) for i in range(1, 40))]
    with pytest.raises(RuntimeError, match="query failed"):
        validation._run_side_by_side(tasks, [False] * 40, release=False)
    assert len(started) < 39  # the queue was dropped, not run to the end


def test_every_large_check_names_a_check_the_import_runs():
    names = {p.label for p in compile_shapes().passes(None)} | set(validation._consistency_names())
    assert validation.LARGE_CHECKS and validation.LARGE_CHECKS <= names
