"""Finding a class of a model by index or by name: plain Python, so the GUI thread may use it without torch."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from viewer.engine.errors import ModelError

__all__ = ["find_class"]


def find_class(categories: Sequence[str], wanted: str | int, model_name: str = "this model") -> int:
    """The index of a class given by index or by name (case-insensitive), or a ``ModelError`` that says
    what exists and suggests close names."""
    if isinstance(wanted, bool):  # True is an int to Python, not a class to the user
        raise ModelError(f"{wanted!r} is not a class of {model_name}.")
    text = str(wanted).strip()
    if isinstance(wanted, int) or (text.isdecimal() and text.isascii()):
        index = int(wanted)
        if 0 <= index < len(categories):
            return index
        raise ModelError(f"class {index}: {model_name} has {len(categories)} classes (0-{len(categories) - 1}).")
    lowered = [name.lower() for name in categories]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    close = difflib.get_close_matches(text, list(categories), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else f" Use 0-{len(categories) - 1} or a class name."
    raise ModelError(f"{text!r} is not a class of {model_name}.{hint}")
