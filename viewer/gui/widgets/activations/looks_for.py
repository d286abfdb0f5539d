"""What the selected channel looks for, beside its map in the Activations tab (issue 23): three pages.

- **Top patches**: the channel's strongest patches over a folder the user names (Dataset folder…), a 3 x 3 grid for
  nine; the pass over the folder shows its progress (images/s, time left) with Cancel; a patch clicked opens its
  image with the unit's field.
- **Layer mosaic**: every channel's best patch; a tile clicked selects its channel.
- beside the patches, the **optimised image**: Optimise (never by itself: seconds of work), progress per step,
  Cancel, the image.
- **Deconvolution**: a cell clicked on the channel's map, projected back to the image by deconvolution and guided
  backpropagation, cut to the unit's field and whole.

A pure view: setters take engine results, requests leave as signals; pictures of a hidden panel are drawn when it
is shown (:class:`~viewer.gui.widgets.common.turns.DrawWhenShown`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.results.unit import UNIT_METHOD_LABELS, UNIT_METHODS
from viewer.gui.widgets.activations.patches import CaptionedPicture, PatchGrid, SheetPicture
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.turns import DrawWhenShown

if TYPE_CHECKING:
    from viewer.core.results.atlas import Atlas, AtlasSheet, ChannelPatches
    from viewer.core.results.optimised import OptimisedImage
    from viewer.core.results.unit import UnitAttribution

__all__ = ["VIEWS", "ChannelLooksFor"]

VIEWS = ("patches", "sheet", "optimised", "unit")  # what each Export… names
INDEXING = "Indexing the folder for this layer…"
OPTIMISE_HINT = (
    "Optimise: the image that excites this channel most (256 steps: under a minute for a small network on a CPU, "
    "minutes for a large one; never by itself)."
)
UNIT_SHORT_LABELS = {"deconvolution": "Deconvolution", "guided_backprop": "Guided backprop"}  # room for two
NO_FOLDER = "Name a folder of images (Dataset folder…) to see the patches that excite this channel most."


def _button(text: str, name: str, tip: str = "") -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


def _wrapped(name: str, text: str = "") -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Progress(QtWidgets.QWidget):
    """A progress bar with its message and Cancel, hidden while nothing runs."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.bar = QtWidgets.QProgressBar()
        self.bar.setObjectName(f"{name}Progress")
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName(f"{name}ProgressText")
        self.cancel = _button("Cancel", f"{name}Cancel")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.message, 2)
        layout.addWidget(self.cancel)
        self.hide()

    def show_step(self, step: int, total: int, message: str) -> None:
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(min(step, total) if total else 0)
        self.message.setText(message)
        self.setVisible(True)


class ChannelLooksFor(QtWidgets.QTabWidget):
    """The three pages (objectName ``channelLooksFor``); see the module docstring.

    Signals:
        folderRequested(): Dataset folder… pressed (the window asks which).
        indexRequested(): Index this layer pressed (the folder has no index of the layer yet).
        atlasCancelled(): Cancel of the pass over the folder.
        patchClicked(int): the i-th patch (best first) was clicked.
        channelChosen(int): a tile of the layer mosaic was clicked.
        optimiseRequested(): Optimise pressed.
        optimiseCancelled(): Cancel of the optimisation.
        exportRequested(str): Export… of one page (one of ``VIEWS``).
    """

    folderRequested = Signal()
    indexRequested = Signal()
    atlasCancelled = Signal()
    patchClicked = Signal(int)
    channelChosen = Signal(int)
    optimiseRequested = Signal()
    optimiseCancelled = Signal()
    exportRequested = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("channelLooksFor")
        self._patches: ChannelPatches | None = None
        self._sheet: AtlasSheet | None = None
        self._optimised: OptimisedImage | None = None
        self._unit: UnitAttribution | None = None
        self._patches_text = NO_FOLDER
        self._sheet_text = ""  # what the Mosaic page says instead of the patches' sentence ("": the same)
        self._folder = ""
        self._when_shown = DrawWhenShown(self, self._draw, when_shown="now")
        self.export_message = ExportMessage("channelExportMessage")
        # Short names: the tabs fit half of a 1366-px window's Activations tab without scroll arrows.
        for page, name, tip in (
            (
                self._build_patches(),
                "Top patches · optimised",
                "The channel's strongest patches over a folder of images, and the image optimised to excite it",
            ),
            (self._build_sheet(), "Mosaic", "Every channel's best patch; click one to select it"),
            (self._build_unit(), "Deconv", "Deconvolution and guided backpropagation of a clicked cell"),
        ):
            self.setTabToolTip(self.addTab(page, name), tip)

    # ----------------------------------------------------------------------------------------- pages
    def _page(self, *rows: QtWidgets.QWidget | QtWidgets.QLayout, stretch: int = -1) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        for index, row in enumerate(rows):
            factor = 1 if index == (stretch % len(rows)) else 0
            if isinstance(row, QtWidgets.QLayout):
                layout.addLayout(row, factor)
            else:
                layout.addWidget(row, factor)
        return page

    def _build_patches(self) -> QtWidgets.QWidget:
        self.folder_button = _button("Dataset folder…", "datasetFolderButton", "The folder of images to search")
        self.folder_button.clicked.connect(self.folderRequested)
        self.index_button = _button(
            "Index this layer", "indexLayerButton", "Run this layer's pass over the folder (it resumes if cancelled)"
        )
        self.index_button.clicked.connect(self.indexRequested)
        self.index_button.hide()  # only while the layer has no index of the folder
        self.folder_label = _wrapped("datasetFolder", "no folder")
        self.patches_export = _button("Export…", "exportPatchesButton", "Save the patches as one PNG grid")
        self.patches_export.clicked.connect(lambda: self.exportRequested.emit("patches"))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.folder_button)
        top.addWidget(self.folder_label, 1)
        top.addWidget(self.index_button)
        top.addWidget(self.patches_export)
        self.atlas_progress = _Progress("atlas")
        self.atlas_progress.cancel.clicked.connect(self.atlasCancelled)
        self.patches_caption = _wrapped("patchesCaption", NO_FOLDER)
        self.patch_grid = PatchGrid()
        self.patch_grid.patchClicked.connect(self.patchClicked)
        # The optimised image beside the patches: what the channel responds to in data, and what it wants.
        pictures = QtWidgets.QHBoxLayout()
        pictures.addWidget(self.patch_grid, 3)
        pictures.addWidget(self._build_optimised(), 2)
        self.optimise_progress = _Progress("optimise")
        self.optimise_progress.cancel.clicked.connect(self.optimiseCancelled)
        return self._page(
            top,
            self.atlas_progress,
            self.export_message,
            self.patches_caption,
            pictures,
            self.optimise_progress,
            stretch=4,
        )

    def _build_sheet(self) -> QtWidgets.QWidget:
        self.sheet_caption = _wrapped("sheetCaption", NO_FOLDER)
        self.sheet_export = _button("Export…", "exportSheetButton", "Save the layer's mosaic as PNG")
        self.sheet_export.clicked.connect(lambda: self.exportRequested.emit("sheet"))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.sheet_caption, 1)
        top.addWidget(self.sheet_export)
        self.sheet_picture = SheetPicture()
        self.sheet_picture.channelChosen.connect(self.channelChosen)
        return self._page(top, self.sheet_picture)

    def _build_optimised(self) -> QtWidgets.QWidget:
        self.optimise_button = _button(
            "Optimise", "optimiseButton", "Optimise an image to excite this channel (seconds on a CPU; fixed seed)"
        )
        self.optimise_button.clicked.connect(self.optimiseRequested)
        self.optimised_export = _button("Export…", "exportOptimisedButton", "Save the optimised image as PNG")
        self.optimised_export.clicked.connect(lambda: self.exportRequested.emit("optimised"))
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.optimise_button)
        buttons.addWidget(self.optimised_export)
        self.optimised_caption = _wrapped("optimisedCaption", OPTIMISE_HINT)
        self.optimised_picture = CaptionedPicture("optimisedImage", "", largest=360)
        column = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.optimised_picture, 1)
        layout.addWidget(self.optimised_caption)
        return column

    def _build_unit(self) -> QtWidgets.QWidget:
        self.unit_caption = _wrapped("unitCaption", "Click a cell of the channel's map to see what that unit saw.")
        self.unit_export = _button("Export…", "exportUnitButton", "Save both methods' pictures as PNG")
        self.unit_export.clicked.connect(lambda: self.exportRequested.emit("unit"))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.unit_caption, 1)
        top.addWidget(self.unit_export)
        self.unit_pictures: dict[tuple[str, str], CaptionedPicture] = {}
        grid = QtWidgets.QGridLayout()
        for row, method in enumerate(UNIT_METHODS):
            for col, (part, title) in enumerate((("field", "its field"), ("whole", "whole image"))):
                picture = CaptionedPicture(f"unit_{method}_{part}", f"{UNIT_SHORT_LABELS[method]}: {title}")
                picture.setToolTip(UNIT_METHOD_LABELS[method])
                self.unit_pictures[(method, part)] = picture
                grid.addWidget(picture, row, col)
        return self._page(top, grid)

    # ----------------------------------------------------------------------------------------- setters
    def set_folder(self, folder: str) -> None:
        self._folder = folder
        self.folder_label.setText(folder or "no folder")
        self.folder_label.setToolTip(folder)

    def say_not_indexed(self, layer: str, *, cancelled: bool = False) -> None:
        """The folder has no index of ``layer`` yet (or its pass was cancelled): say so, and offer the pass (never
        run by itself)."""
        self._patches_text = (
            f"The pass over the folder for {layer} was cancelled; what it did is kept: Index this layer goes on "
            "from there."
            if cancelled
            else f"{layer} has no index of this folder yet: Index this layer runs one pass over it "
            "(seconds for small networks and folders, minutes for large ones; Cancel keeps what it did)."
        )
        self._sheet_text = "Not indexed yet: Index this layer on the Top patches page."
        self.index_button.show()
        self._when_shown.request()

    def say_indexing(self) -> None:
        """A pass over the folder runs (its progress is shown above)."""
        if self._patches_text != INDEXING:
            self.index_button.hide()
            self._patches_text = self._sheet_text = INDEXING
            self._when_shown.request()

    def set_atlas(self, atlas: Atlas | None, channel: int | None) -> None:
        """Say what the patches are of (the pass's numbers), or why there are none."""
        self.index_button.hide()
        self._sheet_text = ""
        if atlas is None:
            self._patches_text = "Looking for the top patches…" if self._folder else NO_FOLDER
        else:
            how = "read from its index" if atlas.from_index else f"indexed in {atlas.seconds:.1f} s"
            unreadable = f", {len(atlas.unreadable)} unreadable" if atlas.unreadable else ""
            self._patches_text = (
                f"channel {channel}: top {atlas.top} of {atlas.indexed:,} images{unreadable} ({how})"
                if channel is not None
                else f"{atlas.indexed:,} images{unreadable} ({how})"
            )
        self._when_shown.request()

    def say_atlas_failed(self, text: str) -> None:
        """Why the pass over the folder gave no patches (its sentence)."""
        self._patches_text = f"No patches: {text}"
        self._when_shown.request()

    def set_patches(self, patches: ChannelPatches | None) -> None:
        self._patches = patches
        self._when_shown.request()

    def set_sheet(self, sheet: AtlasSheet | None) -> None:
        self._sheet = sheet
        self._when_shown.request()

    def set_optimised(self, image: OptimisedImage | None) -> None:
        self._optimised = image
        self._when_shown.request()

    def set_unit(self, unit: UnitAttribution | None) -> None:
        self._unit = unit
        self._when_shown.request()

    def set_unit_busy(self, text: str) -> None:
        """What the Deconvolution page says while its job runs ('' when it is done)."""
        if text:
            self.unit_caption.setText(text)
        else:
            self._when_shown.request()

    def show_export_message(self, text: str) -> None:
        self.export_message.say(text)

    # ----------------------------------------------------------------------------------------- state
    @property
    def shown_patches(self) -> int:
        return self.patch_grid.shown

    @property
    def sheet(self) -> AtlasSheet | None:
        return self._sheet

    @property
    def optimised(self) -> OptimisedImage | None:
        return self._optimised

    @property
    def unit(self) -> UnitAttribution | None:
        return self._unit

    # ----------------------------------------------------------------------------------------- drawing
    def _draw(self) -> None:
        patches = self._patches
        self.patches_caption.setText(self._patches_text)
        if patches is None:
            self.patch_grid.set_patches([], [])
        else:
            self.patch_grid.set_slots(max(9, len(patches.tiles)))
            self.patch_grid.set_patches(patches.tiles, patches.entries)
        self.patches_export.setEnabled(patches is not None)
        sheet = self._sheet
        self.sheet_picture.set_sheet(sheet, "" if sheet is not None else (self._sheet_text or self._patches_text))
        self.sheet_caption.setText(
            f"{sheet.layer}: the best patch of each of its {sheet.channels} channels; click one to select it"
            if sheet is not None
            else "Every channel's best patch, once the folder is indexed."
        )
        self.sheet_export.setEnabled(sheet is not None)
        self._draw_optimised()
        self._draw_unit()

    def _draw_optimised(self) -> None:
        image = self._optimised
        self.optimised_export.setEnabled(image is not None)
        if image is None:
            self.optimised_picture.set_pixels(None, "")
            self.optimised_picture.title.setText("")
            self.optimised_caption.setText(OPTIMISE_HINT)
            return
        self.optimised_picture.set_pixels(image.image)
        self.optimised_picture.title.setText(image.title)
        self.optimised_caption.setText(
            f"optimised: objective {image.start_value:.3g} → {image.end_value:.3g} in {image.steps} steps "
            f"(seed {image.seed}, {image.seconds:.1f} s)"
        )

    def _draw_unit(self) -> None:
        unit = self._unit
        self.unit_export.setEnabled(unit is not None)
        for (method, part), picture in self.unit_pictures.items():
            if unit is None or method not in unit.maps:
                picture.set_pixels(None, "")
            elif part == "field":
                picture.set_pixels(unit.crop(method, "image_rgb"))
            else:
                picture.set_pixels(unit.maps[method].image_rgb)
        if unit is None:
            self.unit_caption.setText("Click a cell of the channel's map to see what that unit saw.")
            return
        notes = f" Note: {'; '.join(unit.notes)}." if unit.notes else ""
        self.unit_caption.setText(
            f"{unit.unit.label}: activation {unit.activation:.3g}. Grey: no effect; brighter pixels would raise "
            f"the unit, darker ones lower it.{notes}"
        )
