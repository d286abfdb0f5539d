"""The window's garbage collection: never automatic (any thread), the full one only once the job runners idle."""

from __future__ import annotations

import gc
import types
from typing import Any

import pytest

from viewer.gui.runtime import collector


class Source:
    def __init__(self) -> None:
        self.busy = True

    def is_busy(self) -> bool:
        return self.busy


def test_the_full_collection_waits_until_nothing_is_awaited_or_it_is_overdue(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not gc.isenabled()  # the app's collector (create_application) turned automatic collection off
    now = [1000.0]
    monkeypatch.setattr(collector, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    watcher = collector.GuiThreadCollector()
    try:
        source = Source()
        watcher.watch(source)
        gc.collect(1)  # something reached the oldest generation
        watcher.check()
        now[0] += collector.MAX_DELAY_S / 2
        watcher.check()
        assert watcher.full_collections == 0  # a result is awaited
        source.busy = False
        watcher.check()
        assert watcher.full_collections == 0  # idle from now on
        now[0] += collector.IDLE_S
        watcher.check()
        assert watcher.full_collections == 1 and gc.get_count()[2] == 0
        watcher.check()
        assert watcher.full_collections == 1  # nothing new to collect
        source.busy = True
        gc.collect(1)
        now[0] += collector.MAX_DELAY_S
        watcher.check()
        assert watcher.full_collections == 2  # busy all along, but overdue
    finally:
        watcher.deleteLater()
