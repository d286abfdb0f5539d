"""The wiring between ``AppState.channel`` (what a channel looks for) and the Activations tab's panel for it.

The state follows the tab's selection (its layer and channel); its results go to the panel; the panel's requests
(Dataset folder…, Cancel, Optimise, a patch, a tile of the layer mosaic, Export…) go to the state. A patch clicked
opens its image; once that image is shown, the unit the patch was is drawn: its field as the image panel's box
and, once the capture is there, its cell and field in the large channel view. Connected after
:class:`~viewer.gui.window.analysis_links.AnalysisLinks`, so that its slots run after those that reset the box.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from viewer.core.errors import ExportError
from viewer.core.results.unit import UNIT_FILE_STEMS, UNIT_METHODS
from viewer.gui.jobs.tickets import JobKind, Stop, Ticket
from viewer.gui.state import AppState
from viewer.gui.widgets.activations.view import ActivationsView
from viewer.gui.widgets.image_panel import ImagePanel
from viewer.gui.window.tab_exports import TabExports, said_on_tab

if TYPE_CHECKING:
    import numpy as np

    from viewer.core.results.activation import Activation
    from viewer.core.results.session import ImageEntry
    from viewer.gui.runtime.settings import Settings

__all__ = ["ChannelLinks"]


class ChannelLinks(QtCore.QObject):
    """Connects ``state.channel`` to ``view.looks_for``; give it the window as parent. ``ask_folder`` is the
    Dataset folder… dialog (tests answer it)."""

    def __init__(
        self,
        window: QtWidgets.QWidget,
        state: AppState,
        settings: Settings,
        view: ActivationsView,
        image_panel: ImagePanel,
        exports: TabExports,
    ) -> None:
        super().__init__(window)
        self._window = window
        self.state = state
        self.settings = settings
        self.view = view
        self.panel = view.looks_for
        self.image_panel = image_panel
        self.exports = exports
        self.ask_folder: Callable[[], str] = self._ask_folder
        self._connect()
        folder = settings.atlas_folder()
        if folder:
            state.channel.set_folder(folder)

    def _connect(self) -> None:
        channel, panel, view = self.state.channel, self.panel, self.view
        channel.folder_changed.connect(panel.set_folder)
        channel.atlas_changed.connect(lambda atlas: panel.set_atlas(atlas, channel.channel))
        channel.patches_changed.connect(self._on_patches)
        channel.sheet_changed.connect(panel.set_sheet)
        channel.optimised_changed.connect(panel.set_optimised)
        channel.unit_changed.connect(panel.set_unit)
        channel.atlas_failed.connect(panel.say_atlas_failed)
        channel.not_indexed.connect(panel.say_not_indexed)
        panel.indexRequested.connect(lambda: channel.request_atlas(run=True))
        panel.folderRequested.connect(self.choose_folder)
        panel.atlasCancelled.connect(lambda: self.state.cancel(JobKind.ATLAS))
        panel.optimiseRequested.connect(self._optimise)
        panel.optimiseCancelled.connect(lambda: self.state.cancel(JobKind.OPTIMISE))
        panel.patchClicked.connect(channel.open_patch)
        panel.channelChosen.connect(view.select_channel)
        panel.exportRequested.connect(lambda which: self.export(which))
        view.layerRequested.connect(lambda name: channel.select(name, None))  # another layer's patches go at once
        view.channelSelected.connect(lambda number: channel.select(self._shown_layer(), number))
        view.receptiveFieldRequested.connect(self._on_cell)
        self.state.activations.changed.connect(self._on_activations)
        self.state.images.image_changed.connect(self._on_image)
        self.state.progress.connect(self._on_progress)
        self.state.job_finished.connect(self._on_finished)

    # --- state → panel -----------------------------------------------------------------------------
    def _shown_activation(self) -> Activation | None:
        activations = self.state.activations
        shown, layers = activations.shown, activations.layers
        return None if shown is None or not layers else shown.get(layers[0])

    def _shown_layer(self) -> str | None:
        activation = self._shown_activation()
        return None if activation is None else activation.layer

    def _on_activations(self, _activations: object) -> None:
        activation = self._shown_activation()
        if activation is None:
            return  # cleared for another image or model: the selection stays until the next capture
        self.state.channel.select(activation.layer, self.view.selected_channel)
        self._draw_opened_field()

    def _on_patches(self, patches: object) -> None:
        self.panel.set_atlas(self.state.channel.atlas, self.state.channel.channel)
        self.panel.set_patches(self.state.channel.patches)

    def _on_image(self, entry: ImageEntry | None) -> None:
        field = self.state.channel.opened_field
        if field is not None and not field.is_of(entry):
            self.state.channel.opened_field = None  # the user moved to another image: that field is done
        elif field is not None:
            self.image_panel.set_box(field.image_box)  # at once; the capture of the image draws the unit

    def _draw_opened_field(self) -> None:
        """The opened patch's unit on its image, once its capture is there: the box on the image panel, the channel
        and the cell in the large view; then it is done (the user's next choice is theirs)."""
        field = self.state.channel.opened_field
        if field is None or not field.is_of(self.state.image):
            return
        self.image_panel.set_box(field.image_box)
        activation = self._shown_activation()
        if activation is None or activation.layer != field.layer or field.channel >= activation.channels:
            return
        if self.view.selected_channel != field.channel:
            self.view.select_channel(field.channel)
        # The atlas's cells are of the weights' preprocessing, as the tab's map is with that preset.
        if activation.receptive_field is not None and self.state.predictions.preset == "weights":
            self.view.detail.show_receptive_field(field.row, field.col)
        self.image_panel.set_box(field.image_box)
        self.state.channel.opened_field = None  # shown: the user's next choice of channel or cell is theirs

    def _on_cell(self, row: int, col: int) -> None:
        if self.state.channel.request_unit(row, col) is not None:
            self.panel.setCurrentIndex(2)  # the Deconvolution page: what the click asked for
            self.panel.set_unit_busy(f"Deconvolution of cell ({row}, {col})…")

    def _on_progress(self, item: Any, kind: str) -> None:
        if item is None:
            return
        step, total, message = int(item.step), int(item.total or 0), str(getattr(item, "message", ""))
        if kind == JobKind.ATLAS:
            self.panel.atlas_progress.show_step(step, total, message)
            self.panel.say_indexing()
        elif kind == JobKind.OPTIMISE:
            self.panel.optimise_progress.show_step(step, total, message)

    def _on_finished(self, kind: str) -> None:
        if kind == JobKind.ATLAS:
            self.panel.atlas_progress.hide()
            channel, ticket = self.state.channel, self.state.channel.pass_ticket
            if ticket is not None and ticket.stopped_by == Stop.USER and channel.layer is not None:
                self.panel.say_not_indexed(channel.layer, cancelled=True)
        elif kind == JobKind.OPTIMISE:
            self.panel.optimise_progress.hide()
        elif kind == JobKind.UNIT:
            self.panel.set_unit_busy("")

    # --- panel → state -----------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = self.ask_folder()
        if folder:
            self.settings.set_atlas_folder(folder)
            self.state.channel.set_folder(folder)

    def _ask_folder(self) -> str:
        start = self.state.channel.folder or self.settings.last_folder()
        return QtWidgets.QFileDialog.getExistingDirectory(self._window, "Dataset folder: images to search", start)

    def _optimise(self) -> None:
        if self.state.channel.optimise() is not None:
            self.panel.optimise_progress.show_step(0, self.state.channel.steps, "Optimising…")

    def export(self, which: str, base: str | None = None) -> bool:
        """Export one page of the panel (``patches``, ``sheet``, ``optimised``, ``unit``) as PNG with a JSON of
        where it came from; False when there is nothing to export, the user declined, or it was refused."""
        made = self._pictures(which)
        if made is None:
            return False
        suggested, pictures, provenance = made
        panel = self.panel
        panel.show_export_message("")
        chosen = base or self.exports.ask_save_path("Export (PNG + JSON)", suggested, "PNG image (*.png)")
        # The files are <stem><suffix>.png and <stem>.json: the name given is their stem, its .png dropped (a
        # layer's name has dots, so no other suffix is taken for an extension).
        chosen = chosen[: -len(".png")] if chosen.lower().endswith(".png") else chosen
        suffixes = [f"{suffix}.png" for suffix, _ in pictures] + [".json"]

        def submit(force: bool) -> Ticket | None:
            on_error = said_on_tab(self.state, panel.show_export_message, JobKind.EXPORT_CHANNEL)
            return self.state.exports.pictures(chosen, pictures, provenance, force=force, on_error=on_error)

        return self.exports.export_set(chosen, suffixes, panel.show_export_message, submit)

    def _pictures(self, which: str) -> tuple[str, list[tuple[str, np.ndarray]], dict[str, Any]] | None:
        """(suggested file name, the pictures with their suffixes, the provenance) of one page, None if empty."""
        channel = self.state.channel
        info = self.state.model.info
        network = {
            "model": None if info is None else info.name,
            "weights": None if info is None else info.weights_label,
        }
        if which == "patches" and channel.patches is not None:
            patches = channel.patches
            entries = [
                {"path": e.path, "value": e.value, "row": e.row, "col": e.col, "image_box": list(e.image_box)}
                for e in patches.entries
            ]
            provenance = {"kind": "top_patches", **network, "layer": patches.layer, "channel": patches.channel,
                          "folder": channel.folder, "patches": entries}  # fmt: skip
            return f"{patches.layer}_channel{patches.channel:04d}_patches.png", [("", patches.grid)], provenance
        if which == "sheet" and channel.sheet is not None:
            sheet = channel.sheet
            provenance = {"kind": "layer_mosaic", **network, "layer": sheet.layer, "folder": channel.folder,
                          "channels": sheet.channels, "columns": sheet.columns}  # fmt: skip
            return f"{sheet.layer}_mosaic.png", [("", sheet.image)], provenance
        if which == "optimised" and channel.optimised is not None:
            image = channel.optimised
            return (
                f"{image.layer or 'class'}_channel{image.channel:04d}_optimised.png",
                [("", image.image)],
                (image.provenance()),
            )
        if which == "unit" and channel.unit is not None:
            unit = channel.unit
            pictures = []
            for method in UNIT_METHODS:
                stem = UNIT_FILE_STEMS[method]
                pictures += [(f"_{stem}", unit.maps[method].image_rgb), (f"_{stem}_field", unit.crop(method))]
            name = (
                f"{Path(unit.image_path).stem}_{unit.unit.layer}_c{unit.unit.channel}_{unit.unit.row}x{unit.unit.col}"
            )
            return f"{name}.png", pictures, unit.provenance()
        if which not in ("patches", "sheet", "optimised", "unit"):
            raise ExportError(f"Nothing called {which!r} can be exported here.")
        return None
