"""The accuracy-versus-cost chart as a vector SVG, written from what the PNG export paints.

pyqtgraph's ``SVGExporter`` fails on recent Qt (pyqtgraph/pyqtgraph#3485), and Qt's ``QSvgGenerator`` records the
scatter points as the embedded pixmap fragments pyqtgraph paints them from (VGG's points rendered as grids of
small circles, AlexNet's below the axis in librsvg and ImageMagick). So the SVG is written here as text, from the
laid-out plot itself: every spot's position (mapped through the same view range), diameter, fill and outline; the
axes' lines, grid, ticks and tick labels exactly as ``AxisItem.generateDrawSpecs`` gives them to the painter; the
axis labels, the title, the network labels and the legend at the places they occupy in the scene. The document's
user units are the plot's scene pixels and its size the PNG's, so both exports show the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6 import QtCore, QtGui, QtWidgets

from viewer.core.diagram.svg_pieces import FONT, circle, line, number, svg_header, text
from viewer.gui.widgets.common.plots import pg

__all__ = ["chart_svg"]

_TITLE = "Accuracy against cost"


def _colour(colour: QtGui.QColor) -> tuple[str, float]:
    """``#rrggbb`` and the opacity (0–1) of a Qt colour."""
    return colour.name(QtGui.QColor.NameFormat.HexRgb), colour.alphaF()


def _on_white(colour: QtGui.QColor) -> str:
    """``colour`` painted over white, as an opaque ``#rrggbb``: the grid's faint lines lie on the white background
    only, and some renderers (ImageMagick's own) ignore ``stroke-opacity``."""
    alpha = colour.alphaF()
    channels = (colour.red(), colour.green(), colour.blue())
    return "#" + "".join(f"{round(c * alpha + 255 * (1 - alpha)):02x}" for c in channels)


def _document_font(item: QtWidgets.QGraphicsTextItem) -> tuple[QtGui.QFont, str]:
    """The font and colour of the first character of a rich-text item: pyqtgraph sets a title's, an axis label's
    and a legend entry's size and colour in their HTML, not on the item."""
    fragment = item.document().firstBlock().begin().fragment()
    if not fragment.isValid():
        return item.font(), _on_white(item.defaultTextColor())
    form = fragment.charFormat()
    colour = form.foreground().color() if form.hasProperty(QtGui.QTextFormat.Property.ForegroundBrush) else None
    return form.font(), _on_white(colour or item.defaultTextColor())


def _pixel_size(font: QtGui.QFont) -> float:
    return float(QtGui.QFontInfo(font).pixelSize())


def _baseline(rect: QtCore.QRectF, font: QtGui.QFont) -> float:
    """The baseline that centres one line of ``font`` vertically in ``rect`` (Qt's AlignVCenter)."""
    metrics = QtGui.QFontMetricsF(font)
    return rect.center().y() + (metrics.ascent() - metrics.descent()) / 2


def _text_item(item: QtWidgets.QGraphicsTextItem, *, rotate: float = 0.0) -> str:
    """A ``QGraphicsTextItem`` (an axis label, the title, a legend entry) as one line of text centred where it is."""
    font, fill = _document_font(item)
    rect, size, content = item.sceneBoundingRect(), _pixel_size(font), item.toPlainText().strip()
    if rotate:  # the rotated left-axis label: its baseline sits half a line right of the centre
        metrics = QtGui.QFontMetricsF(font)
        x = rect.center().x() + (metrics.ascent() - metrics.descent()) / 2
        return text(x, rect.center().y(), content, anchor="middle", fill=fill, size=size, rotate=rotate)
    return text(rect.center().x(), _baseline(rect, font), content, anchor="middle", fill=fill, size=size)


def _axis(axis: pg.AxisItem) -> Iterable[str]:
    """The axis line, its ticks and grid lines, and its tick labels, as the axis paints them."""
    image = QtGui.QImage(4, 4, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        font = axis.style["tickFont"] or painter.font()
        painter.setFont(font)
        axis_spec, tick_specs, text_specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    for pen, p1, p2 in [axis_spec, *tick_specs]:
        a, b = axis.mapToScene(p1), axis.mapToScene(p2)
        yield line(a.x(), a.y(), b.x(), b.y(), stroke=_on_white(pen.color()), width=max(pen.widthF(), 1.0))
    fill = _on_white(axis.textPen().color())
    size = _pixel_size(font)
    flags = QtCore.Qt.AlignmentFlag
    for rect, align, label in text_specs:
        scene = axis.mapRectToScene(rect)
        if int(align) & flags.AlignRight.value:
            yield text(scene.right(), _baseline(scene, font), label, anchor="end", fill=fill, size=size)
        else:  # the bottom axis: centred under the tick, top-aligned
            baseline = scene.top() + QtGui.QFontMetricsF(font).ascent()
            yield text(scene.center().x(), baseline, label, anchor="middle", fill=fill, size=size)
    if axis.label.isVisible():
        rotate = -90.0 if axis.orientation in ("left", "right") else 0.0
        yield _text_item(axis.label, rotate=rotate)


def _spots(plot_item: pg.PlotItem) -> Iterable[tuple[str, QtCore.QRectF]]:
    """Every scatter spot as a ``<circle>`` (the position, diameter, fill and outline it is painted with), and
    the scene rectangle it covers."""
    for item in plot_item.listDataItems():
        if not isinstance(item, pg.ScatterPlotItem):
            continue
        for spot in item.points():
            centre = item.mapToScene(spot.pos())
            fill, fill_opacity = _colour(spot.brush().color())
            pen = spot.pen()
            stroke, stroke_opacity = _colour(pen.color())
            radius = spot.size() / 2
            element = circle(
                centre.x(),
                centre.y(),
                radius,
                fill=fill,
                fill_opacity=fill_opacity,
                stroke=stroke if pen.style() != QtCore.Qt.PenStyle.NoPen else "none",
                stroke_width=pen.widthF() or 1.0,  # 0: Qt's cosmetic one-pixel pen
                stroke_opacity=stroke_opacity,
                title=str(spot.data()),
            )
            yield element, QtCore.QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)


def _labels(plot_item: pg.PlotItem) -> Iterable[tuple[str, QtCore.QRectF]]:
    """The network names written beside their points (``TextItem``s, drawn one pixel size whatever the zoom),
    each with the scene rectangle it covers."""
    for item in plot_item.items:
        if isinstance(item, pg.TextItem):
            inner = item.textItem
            rect = inner.sceneBoundingRect()
            margin = inner.document().documentMargin()
            font = inner.font()
            baseline = rect.top() + margin + QtGui.QFontMetricsF(font).ascent()
            fill, _ = _colour(item.color)
            yield text(rect.left() + margin, baseline, inner.toPlainText(), fill=fill, size=_pixel_size(font)), rect


def _legend(legend: pg.LegendItem | None) -> Iterable[str]:
    """The legend: each family's swatch (a circle of the scatter's own size and colours) and its name."""
    if legend is None:
        return
    for sample, label in legend.items:
        opts = sample.item.opts
        centre = sample.sceneBoundingRect().center()
        fill, fill_opacity = _colour(pg.mkBrush(opts["brush"]).color())
        stroke, _ = _colour(pg.mkPen(opts["pen"]).color())
        yield circle(centre.x(), centre.y(), opts["size"] / 2, fill=fill, fill_opacity=fill_opacity, stroke=stroke)
        yield _text_item(label.item)


def chart_svg(plot_item: pg.PlotItem, width: int) -> bytes:
    """The laid-out ``plot_item`` as a standalone SVG document ``width`` pixels wide (the PNG export's width)."""
    # The view box maps its items through a transform it updates only before a paint (the PNG export paints):
    # bring it up to date, or the points land where the previous range put them.
    plot_item.scene().prepareForPaint()
    source = plot_item.sceneBoundingRect()
    height = round(width * source.height() / source.width())
    view = plot_item.vb.sceneBoundingRect()
    base_font = QtGui.QFont()
    out = svg_header(
        width,
        height,
        title=_TITLE,
        font_size=_pixel_size(base_font),
        view_box=(source.width(), source.height()),
        font=f"{base_font.family()}, {FONT}",
    )
    out.append(
        f'<rect x="0" y="0" width="{number(source.width())}" height="{number(source.height())}" fill="#ffffff"/>'
    )
    # Scene coordinates, shifted so that the plot's corner is the document's origin (the PNG's source rectangle).
    out.append(f'<g transform="translate({number(-source.x())},{number(-source.y())})">')
    out.append('<g class="axes">')
    for name in ("left", "bottom"):
        out.extend(_axis(plot_item.getAxis(name)))
    out.append("</g>")
    title = plot_item.titleLabel
    if title.isVisible() and title.text:
        out.append(_text_item(title.item))
    marks = [*_spots(plot_item), *_labels(plot_item)]
    shown = [(element, rect) for element, rect in marks if view.intersects(rect)]
    if all(view.contains(rect) for _, rect in shown):
        # All inside the view (the whole chart, auto-ranged): no clip path, which ImageMagick's own renderer
        # misplaces (it then drops every point).
        out.append('<g class="points">')
    else:  # a zoomed view: the view box clips its points and labels, as on screen
        out.append(
            f'<defs><clipPath id="view"><rect x="{number(view.x())}" y="{number(view.y())}" '
            f'width="{number(view.width())}" height="{number(view.height())}"/></clipPath></defs>'
        )
        out.append('<g class="points" clip-path="url(#view)">')
    out.extend(element for element, _ in shown)
    out.append("</g>")
    out.append('<g class="legend">')
    out.extend(_legend(plot_item.legend))
    out.append("</g>")
    out.append("</g>")
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")
