"""Plain-string SVG pieces shared by the app's hand-written SVG files (no Qt, no torch).

``viewer graph --svg`` (``viewer.core.diagram.svg``) and the accuracy-versus-cost chart
(``viewer.gui.widgets.compare.chart_svg``) write SVG as text rather than through a painter: every shape stays a
vector element (a point is a ``<circle>``, a label a ``<text>``), the file names no external resource, and the
numbers are short. These helpers keep the two writers formatting numbers, escaping text and opening the document
the same way.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["FONT", "attr", "circle", "line", "number", "svg_header", "text"]

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def number(value: float) -> str:
    """``value`` with at most one decimal and no trailing zeros ("12", "12.5"): short files, sub-pixel enough."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def attr(value: str) -> str:
    """``value`` escaped for a double-quoted attribute."""
    return escape(value, {'"': "&quot;"})


def svg_header(
    width: float,
    height: float,
    *,
    title: str,
    font_size: float,
    view_box: tuple[float, float] | None = None,
    font: str = FONT,
) -> list[str]:
    """The XML declaration, the ``<svg>`` opening tag and the ``<title>``: a document ``width`` × ``height``
    whose user units span ``view_box`` (width, height; the same as the size when None)."""
    box_w, box_h = view_box or (width, height)
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{number(width)}" height="{number(height)}" '
            f'viewBox="0 0 {number(box_w)} {number(box_h)}" font-family="{attr(font)}" '
            f'font-size="{number(font_size)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]


def _opacity(name: str, value: float) -> str:
    return f' {name}="{value:.3g}"' if value < 1.0 else ""


def circle(
    cx: float,
    cy: float,
    r: float,
    *,
    fill: str,
    fill_opacity: float = 1.0,
    stroke: str = "none",
    stroke_width: float = 1.0,
    stroke_opacity: float = 1.0,
    title: str | None = None,
) -> str:
    """A ``<circle>``; ``title`` becomes its tooltip (in a ``<g>`` around it: ImageMagick's own renderer drops a
    circle that has children)."""
    stroke_attrs = "" if stroke == "none" else f' stroke-width="{stroke_width:.3g}"'
    opening = (
        f'<circle cx="{number(cx)}" cy="{number(cy)}" r="{r:.3g}" fill="{fill}"{_opacity("fill-opacity", fill_opacity)}'
        f' stroke="{stroke}"{stroke_attrs}{_opacity("stroke-opacity", stroke_opacity)}'
    )
    return f"<g><title>{escape(title)}</title>{opening}/></g>" if title else f"{opening}/>"


def line(x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1.0, opacity: float = 1.0) -> str:
    """A ``<line>`` segment."""
    return (
        f'<line x1="{number(x1)}" y1="{number(y1)}" x2="{number(x2)}" y2="{number(y2)}" stroke="{stroke}" '
        f'stroke-width="{width:.3g}"{_opacity("stroke-opacity", opacity)}/>'
    )


def text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = "#000000",
    size: float | None = None,
    rotate: float = 0.0,
) -> str:
    """A ``<text>`` whose baseline starts (``anchor`` "start"), is centred ("middle") or ends ("end") at x, y;
    ``rotate`` turns it (degrees, clockwise) about that point."""
    extra = f' font-size="{number(size)}"' if size is not None else ""
    if rotate:
        extra += f' transform="rotate({number(rotate)} {number(x)} {number(y)})"'
    middle = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{number(x)}" y="{number(y)}"{middle} fill="{fill}"{extra}>{escape(content)}</text>'
