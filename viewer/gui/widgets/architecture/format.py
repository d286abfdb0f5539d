"""Short human-readable text for summary numbers (shapes, counts, MACs, bytes, hyper-parameters).

Shared by the architecture diagram, its table and the activations layer tree so that one layer reads the
same everywhere. Pure string formatting, no Qt.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from viewer.core.graph.dataflow import Graph

__all__ = [
    "format_bytes",
    "format_count",
    "format_field",
    "format_hyper",
    "format_macs",
    "format_shape",
    "graph_notes_html",
    "graph_totals_html",
]

_MULTIPLICATION = "\u00d7"


def format_shape(shape: Iterable[int] | None) -> str:
    """``(64, 56, 56)`` -> ``64×56×56``; ``None`` or an empty shape -> ``—``."""
    if shape is None:
        return "\u2014"
    dims = [str(int(d)) for d in shape]
    return _MULTIPLICATION.join(dims) if dims else "\u2014"


def format_count(count: float | int | None) -> str:
    """A parameter count with a metric suffix: 11689512 -> ``11.69M``, 864 -> ``864``."""
    if count is None:
        return "\u2014"
    value = float(count)
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.2f}{suffix}"
    return f"{int(value)}"


def format_macs(macs: float | int | None) -> str:
    """Multiply-accumulates: 1.82e9 -> ``1.82 GMACs``."""
    if macs is None:
        return "\u2014"
    text = format_count(macs)
    if text[-1].isalpha():
        return f"{text[:-1]} {text[-1]}MACs"
    return f"{text} MACs"


def format_bytes(size: float | int | None) -> str:
    """Memory in binary units: 3211264 -> ``3.1 MiB``."""
    if size is None:
        return "\u2014"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - loop always returns


def _format_value(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        items = [_format_value(v) for v in value]
        # (3, 3) -> 3×3 reads like the papers; unequal pairs keep both numbers.
        if items and all(item == items[0] for item in items):
            return items[0] if len(items) <= 2 else _MULTIPLICATION.join(items)
        return _MULTIPLICATION.join(items)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_SHORT_KEYS = {
    "kernel_size": "k",
    "stride": "s",
    "padding": "p",
    "dilation": "d",
    "groups": "g",
    "in_channels": "in",
    "out_channels": "out",
    "in_features": "in",
    "out_features": "out",
    "output_size": "out",
    "num_features": "C",
}


# Values that are PyTorch's defaults say nothing about a design; leaving them out keeps boxes readable.
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "ceil_mode": False, "bias": True}
_NEVER_SHOWN = {"inplace"}  # a memory trick, not part of the architecture


def _is_default(key: str, value: Any) -> bool:
    if key not in _DEFAULTS:
        return False
    values = value if isinstance(value, (tuple, list)) else (value,)
    return all(v == _DEFAULTS[key] for v in values)


def format_hyper(hyper: Mapping[str, Any] | None, limit: int = 6) -> str:
    """Key hyper-parameters in a compact line, defaults left out: ``in=3 out=64 k=7 s=2 p=3 no bias``."""
    if not hyper:
        return ""
    parts = []
    for key, value in hyper.items():
        if key in _NEVER_SHOWN or value is None or _is_default(key, value):
            continue
        if key == "bias" and value is False:
            parts.append("no bias")
            continue
        if value is False:
            continue
        short = _SHORT_KEYS.get(key, key)
        parts.append(short if value is True else f"{short}={_format_value(value)}")
        if len(parts) >= limit:
            break
    return " ".join(parts)


def format_field(field: Any) -> str:
    """A receptive field as ``11×11 px, jump 4`` (size and jump are (height, width) pairs); '' for none."""
    if field is None:
        return ""
    size = _format_value(tuple(field.size))
    jump = _format_value(tuple(field.jump))
    return f"{size} px, jump {jump}"


def graph_totals_html(graph: Graph) -> str:
    """One line of a network's totals: name, input shape, parameters, MACs and its variant (HTML)."""
    extra = f" · {html.escape(graph.variant)}" if graph.variant else ""
    return (
        f"<b>{html.escape(graph.model_name)}</b> · input {format_shape(graph.input_shape)} · "
        f"{format_count(graph.total_params)} params · {format_macs(graph.macs)}{extra}"
    )


def graph_notes_html(graph: Graph) -> str:
    """The graph's notes (what was simplified or could not be traced), one per line (HTML)."""
    return "<br>".join(html.escape(note) for note in graph.notes)
