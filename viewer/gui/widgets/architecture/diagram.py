"""The diagram's QGraphicsView: zoom (wheel, Ctrl +/−), pan (drag), fit, and what clicks and keys ask for.

It draws nothing itself (``scene`` fills its scene) and decides nothing: a click on a box, a
double-click on a box or a frame, and the +/− keys leave as signals for ``ArchitectureView``.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.diagram.layout import Direction
from viewer.gui.widgets.architecture.scene import item_key

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "READABLE_ZOOM", "DiagramView"]

MIN_ZOOM, MAX_ZOOM = 0.03, 6.0
READABLE_ZOOM = 0.8  # below this the boxes' 10 px text is hard to read: a first view never starts smaller
_MARGIN = 12  # pixels kept around what is brought into view


class DiagramView(QtWidgets.QGraphicsView):
    """Zoom with the wheel or Ctrl +/−, pan by dragging; clicks and keys on boxes leave as signals.

    Signals:
        boxClicked(str): a box (view id) was clicked.
        boxActivated(str): a box was double-clicked.
        frameActivated(str): the frame of an open block (its name) was double-clicked.
        expandKey(): "+" was pressed.  collapseKey(): "−" was pressed.
    """

    boxClicked = Signal(str)
    boxActivated = Signal(str)
    frameActivated = Signal(str)
    expandKey = Signal()
    collapseKey = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QtWidgets.QGraphicsScene(self)  # owned by the view, or Python collects it
        self.setScene(self._scene)
        self.setObjectName("architectureView")
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QtGui.QColor("#ffffff"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._auto_fit = False
        self.direction: Direction = "TB"  # where the data flows in the drawing shown: where it starts is shown first
        for keys, action in (
            (QtGui.QKeySequence.StandardKey.ZoomIn, self.zoom_in),
            (QtGui.QKeySequence("Ctrl+="), self.zoom_in),
            (QtGui.QKeySequence.StandardKey.ZoomOut, self.zoom_out),
        ):
            # Ctrl+0 (fit) is the window's View › Fit action, which fits the diagram when it has the focus:
            # a second Ctrl+0 here would make the key ambiguous, and Qt then runs neither.
            shortcut = QtGui.QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    # --- zoom and fit ------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self.setTransform(QtGui.QTransform.fromScale(zoom, zoom))

    def zoom_by(self, factor: float) -> None:
        self._auto_fit = False
        if MIN_ZOOM <= self.zoom * factor <= MAX_ZOOM:
            self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def request_fit(self) -> None:
        """Fit now and keep fitting as the view is shown or resized, until the user zooms.

        A view in a hidden tab has no real size yet, so fitting once would be wrong.
        """
        self._auto_fit = True
        self.fit()

    @property
    def auto_fit(self) -> bool:
        """Whether the view keeps fitting the whole diagram (Fit was asked for and the user has not zoomed since)."""
        return self._auto_fit

    def refit_if_auto(self) -> bool:
        """After the diagram changed: fit again unless the user has zoomed since; True if it fitted."""
        if self._auto_fit:
            self.fit()
        return self._auto_fit

    def fit(self) -> None:
        """Show the whole diagram, but never blow small networks up past 100 %."""
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1:
            self.set_zoom(1.0)
            self.centerOn(self.sceneRect().center())

    def reveal(self, rect: QtCore.QRectF, *, centre: bool) -> None:
        """Bring ``rect`` into view: readable if zoomed far out, else centred (``centre``) or just scrolled to."""
        if self.zoom < READABLE_ZOOM / 2:
            self.show_readable(rect)
        elif centre:
            self.centerOn(rect.center())
        else:
            self.ensureVisible(rect, 40, 40)

    def show_readable(self, rect: QtCore.QRectF | None = None) -> None:
        """Bring ``rect`` (the whole diagram if None) into view as large as fits, between readable and 100 %.

        When it does not fit at a readable zoom, where the data comes in is shown: its top, and its left end when
        the data flows left to right.
        """
        self._auto_fit = False
        target = QtCore.QRectF(self.sceneRect() if rect is None else rect)
        viewport = self.viewport().rect().adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
        if target.isEmpty() or viewport.isEmpty():
            return
        fitting = min(viewport.width() / target.width(), viewport.height() / target.height())
        self.set_zoom(max(READABLE_ZOOM, min(1.0, fitting)))
        visible_width, visible_height = viewport.width() / self.zoom, viewport.height() / self.zoom
        x, y = target.center().x(), target.center().y()
        if self.direction == "LR" and target.width() > visible_width:
            x = target.left() + visible_width / 2
        if target.height() > visible_height:  # left to right too: a frame's label is at its top
            y = target.top() + visible_height / 2
        self.centerOn(QtCore.QPointF(x, y))

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if self._auto_fit:
            self.fit()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15**steps)
        event.accept()

    # --- clicks and keys ---------------------------------------------------------------------------
    def item_at(self, position: QtCore.QPoint) -> tuple[str, str] | None:
        """("box", view id) under a viewport position, else ("frame", block name); routes and texts are looked
        through."""
        frame = None
        for item in self.items(position):
            key = item_key(item)
            if key is not None and key[0] == "box":
                return key
            if key is not None and frame is None:
                frame = key
        return frame

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        key = self.item_at(event.position().toPoint())
        if key is not None and key[0] == "box" and event.button() == Qt.MouseButton.LeftButton:
            self.boxClicked.emit(key[1])
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:
        key = self.item_at(event.position().toPoint())
        if key is not None:
            if key[0] == "box":
                self.boxActivated.emit(key[1])
            else:
                self.frameActivated.emit(key[1])
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier))
        if plain and event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.expandKey.emit()
        elif plain and event.key() in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.collapseKey.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
