"""The preview cache's own rules: bounded, least recently used out first,
off at 0, and BILLING_PREVIEW_CACHE checked like every other setting."""

from __future__ import annotations

import threading

import pytest

import settings
from services.fact_cache import FactCache


def test_the_setting_defaults_to_twenty_thousand_entries_and_zero_turns_it_off():
    assert settings.current({}).preview_cache == settings.DEFAULT_PREVIEW_CACHE == 50_000
    assert settings.current({"BILLING_PREVIEW_CACHE": "0"}).preview_cache == 0


@pytest.mark.parametrize("text", ["-1", "lots", "1e5", "10000001"])
def test_a_bad_cache_size_names_the_variable(text):
    with pytest.raises(settings.SettingsError, match="BILLING_PREVIEW_CACHE"):
        settings.current({"BILLING_PREVIEW_CACHE": text})


def test_the_least_recently_used_entry_goes_first():
    cache = FactCache()
    cache.resize(2)
    cache.put_many([(("a",), 1), (("b",), 2)])
    assert cache.get_many({"a": ("a",)}) == ({"a": 1}, [])  # a is now the most recent
    cache.put_many([(("c",), 3)])
    found, missing = cache.get_many({"a": ("a",), "b": ("b",), "c": ("c",)})
    assert found == {"a": 1, "c": 3} and missing == ["b"]
    assert cache.stats().entries == 2 and cache.stats().hits == 3 and cache.stats().misses == 1


def test_at_zero_nothing_is_kept_and_an_uncacheable_key_is_no_miss():
    cache = FactCache()
    cache.resize(0)
    cache.put_many([(("a",), 1)])
    assert cache.get_many({"a": ("a",), "x": None}) == ({}, ["a", "x"])
    assert cache.stats().entries == 0 and cache.stats().misses == 1


def test_threads_never_push_it_past_its_bound():
    cache = FactCache()
    cache.resize(100)

    def work(offset: int) -> None:
        for i in range(2_000):
            cache.put_many([((offset, i), i)])
            cache.get_many({str(i): (offset, i - 1)})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.stats().entries == 100
