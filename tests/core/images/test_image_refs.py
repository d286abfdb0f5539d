"""Images cross to the engine once per connection; later jobs name them (viewer.core.images.refs)."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.images.refs import HeldImages, ImageRef, SentImages
from viewer.core.results.session import ImageEntry


def _entry(key: str) -> ImageEntry:
    pixels = np.zeros((4, 4, 3), np.uint8)
    return ImageEntry(f"/x/{key}.png", pixels, "RGB", (4, 4), pixels, pixels, key=key)


def test_an_entry_goes_in_full_once_then_by_reference_and_comes_back_whole() -> None:
    sent, held = SentImages(), HeldImages()
    a, b = _entry("a"), _entry("b")
    first = sent.shrink([a, 3], {"other": b})
    assert first == ([a, 3], {"other": b})  # in full: the engine holds neither yet
    second = sent.shrink([[a, b]], {"image": a})
    assert second == ([[ImageRef("a"), ImageRef("b")]], {"image": ImageRef("a")})
    assert held.resolve(*first) == ([a, 3], {"other": b})
    args, kwargs = held.resolve(*second)
    assert args[0][0] is a and args[0][1] is b and kwargs["image"] is a


def test_an_entry_without_a_key_always_goes_in_full() -> None:
    sent = SentImages()
    entry = _entry("")
    assert sent.shrink([entry], {}) == ([entry], {}) == sent.shrink([entry], {})


def test_the_least_recently_used_is_sent_again_and_the_engine_still_holds_what_is_named() -> None:
    sent, held = SentImages(capacity=2), HeldImages(capacity=4)
    entries = [_entry(k) for k in "abc"]
    for entry in entries:  # a, b, c: a is forgotten by the window
        held.resolve(*sent.shrink([entry], {}))
    assert sent.shrink([entries[0]], {}) == ([entries[0]], {})  # in full again
    assert sent.shrink([entries[2]], {}) == ([ImageRef("c")], {})
    assert held.resolve([ImageRef("c")], {})[0][0] is entries[2]


def test_a_reference_the_engine_does_not_hold_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="does not hold image 'zz'"):
        HeldImages().resolve([ImageRef("zz")], {})


def test_the_engine_keeps_a_budget_of_bytes_and_says_which_image_it_dropped() -> None:
    held = HeldImages(budget_bytes=100)  # each test entry: 4x4x3 pixels, the same array three times: 48 bytes
    a, b, c = _entry("a"), _entry("b"), _entry("c")
    for entry in (a, b, c):
        held.resolve([entry], {})
    with pytest.raises(LookupError, match="'a'"):
        held.resolve([ImageRef("a")], {})  # dropped for c
    assert held.resolve([ImageRef("c")], {})[0][0] is c
