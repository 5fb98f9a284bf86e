"""The run store: a bounded LRU, derived arrays computed once, invalidation, safe names."""

import pytest

from ttvis.server.safepath import Refused, check_run_name
from ttvis.server.cache import LRU, RunCache


def test_lru_is_bounded_and_keeps_recent():
    lru, made = LRU(3), []

    def make(k):
        made.append(k)
        return k * 10

    for k in (1, 2, 3):
        assert lru.get_or_make(k, lambda k=k: make(k)) == k * 10
    lru.get_or_make(1, lambda: make(1))  # hit: 1 becomes the most recent
    lru.get_or_make(4, lambda: make(4))  # evicts 2, the least recent
    assert len(lru) == 3 and made == [1, 2, 3, 4]
    lru.get_or_make(2, lambda: make(2))
    assert made[-1] == 2
    lru.get_or_make(1, lambda: make(1))
    assert made.count(1) == 1


def test_lru_concurrent_misses_make_once():
    import threading
    import time

    lru, made = LRU(8), []

    def slow():
        made.append(1)
        time.sleep(0.05)
        return "value"

    threads = [threading.Thread(target=lambda: lru.get_or_make("k", slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1] and lru.get_or_make("k", slow) == "value"


def test_lru_failed_make_is_not_cached():
    lru = LRU(2)
    with pytest.raises(ZeroDivisionError):
        lru.get_or_make("k", lambda: 1 / 0)
    assert lru.get_or_make("k", lambda: 5) == 5


def test_dynamics_computed_once_and_invalidated(data_root):
    store = RunCache(data_root, cache_items=64)
    first = store.run("digits").dynamics
    assert store.run("digits").dynamics is first  # served from the cache, not recomputed
    assert first.predictions.shape == (len(first.epochs), 1797)
    store.invalidate("digits")
    assert store.run("digits").dynamics is not first
    assert store.run("plain").dynamics is not store.run("digits").dynamics


def test_cache_items_bound_holds(data_root):
    store = RunCache(data_root, cache_items=4)
    for e in (1, 2, 3, 4, 5, 6):
        store.positions("digits", "pca", e)
    assert len(store.cache) <= 4


@pytest.mark.parametrize("name", ["..", ".", "", ".hidden", "a/b", "a\\b", "/etc", "x\x00y", "a..b", "é"])
def test_run_names_refused(name):
    with pytest.raises(Refused):
        check_run_name(name)


def test_names_lists_only_runs(data_root):
    assert RunCache(data_root).names() == ["digits", "plain"]
