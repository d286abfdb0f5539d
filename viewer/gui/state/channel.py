"""What the selected channel of the Activations tab looks for (issue 23): ``AppState.channel``.

Three answers, each an engine job: the channel's strongest patches over a folder the user names (the atlas: one
pass per layer, its index kept on disk by the engine, so that a layer seen before opens without a forward pass),
the image optimised to excite it (only when asked: 10 s and more on a CPU), and, for a cell clicked on its map,
that unit's deconvolution and guided backpropagation on the shown image.

The state follows the Activations tab's selection (``select``): a result is kept with what it is of (network,
layer, channel, folder, image) and is dropped, never shown, once the selection moves on; each job's arrival is
checked against the selection it was asked for. The atlas result holds every channel's top entries, so another
channel of the same layer only needs its patches cut (a small job). A patch clicked opens its image in the app's
list (``open_patch``); ``opened_field`` then says which unit of that image the patch was, for the window to draw.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.job_names import JobName
from viewer.core.network.choice import ModelChoice
from viewer.core.results.session import ImageEntry
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import ErrorHandler, JobError, JobKind, Ticket
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices
from viewer.gui.state.predictions import PredictionsState

if TYPE_CHECKING:
    from viewer.core.results.atlas import Atlas, AtlasSheet, Box, ChannelPatches
    from viewer.core.results.optimised import OptimisedImage
    from viewer.core.results.unit import UnitAttribution
    from viewer.gui.state.images import Images

__all__ = ["ChannelHost", "ChannelState", "OpenedField"]

DEFAULT_TOP = 9  # Zeiler & Fergus's 3 x 3
DEFAULT_STEPS = 256  # as `viewer dream`: the same seed and steps give the CLI's image


class ChannelHost(Protocol):
    """What the channel state uses of the app: the runner, the model, the preset, the images and the one
    submission path."""

    jobs: JobRunner
    model: ModelState
    predictions: PredictionsState
    images: Images

    def _ready(self, kind: JobKind) -> tuple[ImageEntry, ModelChoice] | None: ...
    def _submit(
        self,
        kind: JobKind,
        job: JobName,
        *args: Any,
        on_result: Callable[[Any], None],
        on_error: ErrorHandler | None = None,
        **kwargs: Any,
    ) -> Ticket: ...


@dataclass(frozen=True)
class OpenedField:
    """A patch the user clicked: its image, and the unit of it that the patch is (its field in the image)."""

    path: str
    image_box: Box  # (x0, y0, x1, y1) in the image's pixels
    layer: str
    channel: int
    row: int
    col: int

    def is_of(self, entry: ImageEntry | None) -> bool:
        """Whether ``entry`` is this patch's image."""
        return entry is not None and os.path.realpath(entry.path) == os.path.realpath(self.path)


class ChannelState(QObject):
    """The folder, the selection (``layer``, ``channel``) and what was found for it; see the module docstring.

    Signals:
        folder_changed(str): the folder of the top patches ("" for none).
        atlas_changed(object): the Atlas of the selected layer over the folder, or None.
        patches_changed(object): the selected channel's ChannelPatches, or None.
        sheet_changed(object): the selected layer's AtlasSheet (every channel's best patch), or None.
        optimised_changed(object): the selected channel's OptimisedImage, or None.
        unit_changed(object): the UnitAttribution of the cell clicked, or None.
        atlas_failed(str): the pass over the folder failed: its sentence (also a notice).
        not_indexed(str): the folder has no finished index of this layer (its name): ``request_atlas(run=True)``.
    """

    folder_changed = Signal(str)
    atlas_changed = Signal(object)
    patches_changed = Signal(object)
    sheet_changed = Signal(object)
    optimised_changed = Signal(object)
    unit_changed = Signal(object)
    atlas_failed = Signal(str)
    not_indexed = Signal(str)  # the folder has no finished index of this layer (its name) yet: a pass must be asked for

    def __init__(self, app: ChannelHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self.folder = ""
        self.indexed: bool | None = None  # whether the folder has a finished index of the layer (None: not known yet)
        self.pass_ticket: Ticket | None = None  # the last request of the folder's index (a pass, or its reading)
        self.layer: str | None = None
        self.channel: int | None = None
        self.atlas: Atlas | None = None
        self.patches: ChannelPatches | None = None
        self.sheet: AtlasSheet | None = None
        self.optimised: OptimisedImage | None = None
        self.unit: UnitAttribution | None = None
        self.opened_field: OpenedField | None = None
        self.top = DEFAULT_TOP
        self.steps = DEFAULT_STEPS
        self.seed = 0  # a fixed seed: the same channel gives the same image again
        self.batch_size = 64
        self.workers: int | None = None  # the atlas pass's decoding processes (None: the engine's default)

    # --- requests ------------------------------------------------------------------------------------
    def set_folder(self, folder: str) -> None:
        """Find the top patches over ``folder`` (the engine's path; "" for none) for the selected layer."""
        if folder == self.folder:
            return
        self.folder = folder
        self.folder_changed.emit(folder)
        self._drop_atlas()
        self.request_atlas(run=True)  # the user named it: the pass is what they asked for

    def select(self, layer: str | None, channel: int | None) -> None:
        """The Activations tab shows ``channel`` of ``layer`` (None: no channel yet): what was found for another
        selection goes, and what this one needs is asked for."""
        if layer != self.layer:
            self.layer, self.channel = layer, channel
            self._drop_atlas()
            self._drop_channel()
            self.request_atlas()
        elif channel != self.channel:
            self.channel = channel
            self._drop_channel()
            self.request_patches()

    def request_atlas(self, *, run: bool = False) -> None:
        """The folder's index for the selected layer: read if the engine has it finished; the pass over the folder
        (minutes for a large folder and network) only with ``run``, when the user asks (Dataset folder…, Index this
        layer), never because another layer was selected: ``not_indexed`` says there is none yet."""
        jobs = self._app.jobs
        info = self._app.model.info
        if not self.folder or self.layer is None or info is None or info.key is None:
            jobs.withdraw(JobKind.ATLAS)
            return
        wanted = (info.key, self.layer, self.folder)
        name = os.path.basename(self.folder.rstrip(os.sep)) or self.folder
        self.indexed = None
        self.pass_ticket = self._app._submit(
            JobKind.ATLAS,
            JobName.ATLAS,
            self.folder,
            model=info.key,
            layers=[self.layer],
            top=self.top,
            batch_size=self.batch_size,
            workers=self.workers,
            indexed_only=not run,
            on_result=lambda atlas: self._atlas_arrived(wanted, atlas),
            on_error=self._atlas_error,
            description=f"Top patches of {self.layer} over {name}" if run else f"Index of {self.layer} over {name}",
        )

    def request_patches(self) -> None:
        """Cut the selected channel's top patches from their images (the atlas of its layer is there)."""
        atlas, layer, channel = self.atlas, self.layer, self.channel
        if atlas is None or layer is None or channel is None or layer not in atlas.layers:
            self._app.jobs.withdraw(JobKind.ATLAS_PATCHES)
            return
        if not 0 <= channel < atlas.layers[layer].channels:
            return
        self._app._submit(
            JobKind.ATLAS_PATCHES,
            JobName.ATLAS_PATCHES,
            layer,
            channel,
            atlas.entries(layer, channel),
            top=atlas.top,
            on_result=lambda patches: self._patches_arrived(atlas, patches),
            description=f"Top patches of {layer} channel {channel}",
        )

    def optimise(self) -> Ticket | None:
        """The image that excites the selected channel most (only when asked: the user waits seconds)."""
        info, layer, channel = self._app.model.info, self.layer, self.channel
        if info is None or info.key is None or layer is None or channel is None:
            return None
        wanted = (info.key, layer, channel)
        return self._app._submit(
            JobKind.OPTIMISE,
            JobName.OPTIMISED_IMAGE,
            model=info.key,
            layer=layer,
            channel=channel,
            steps=self.steps,
            seed=self.seed,
            on_result=lambda image: self._optimised_arrived(wanted, image),
            description=f"Optimising an image for {layer} channel {channel}",
        )

    def request_unit(self, row: int, col: int) -> Ticket | None:
        """Deconvolution and guided backpropagation of cell (``row``, ``col``) of the selected channel's map on the
        shown image, over the very input the Activations tab captured (the shown preset's; for ``weights`` the
        centre crop), so that the cell is the unit clicked."""
        ready = self._app._ready(JobKind.UNIT)
        layer, channel = self.layer, self.channel
        if ready is None or layer is None or channel is None:
            return None
        image, model = ready
        wanted = (model, layer, channel, image.path)
        if self.unit is not None:
            self.unit = None
            self.unit_changed.emit(None)
        return self._app._submit(
            JobKind.UNIT,
            JobName.UNIT_ATTRIBUTION,
            image,
            model=model,
            layer=layer,
            channel=channel,
            row=row,
            col=col,
            preset=self._app.predictions.preset,
            on_result=lambda unit: self._unit_arrived(wanted, unit),
            description=f"Deconvolution of {layer} channel {channel} at ({row}, {col})",
        )

    def open_patch(self, index: int) -> Ticket | None:
        """Open the image of the selected channel's ``index``-th patch (best first) in the app's image list; the
        unit it was (its field) is kept in ``opened_field`` for the window to draw."""
        patches = self.patches
        if patches is None or not 0 <= index < len(patches.entries):
            return None
        entry = patches.entries[index]
        self.opened_field = OpenedField(
            entry.path, entry.image_box, patches.layer, patches.channel, entry.row, entry.col
        )
        return self._app.images.open_paths([entry.path])

    def clear(self, *, model: bool) -> None:
        """The image changed (the unit goes) or, with ``model``, the model did (everything found goes; the
        Activations tab's next capture selects again)."""
        if model:
            self.layer = self.channel = None
            self._drop_atlas()
            self._drop_channel()
        elif self.unit is not None:
            self.unit = None
            self.unit_changed.emit(None)

    # --- results -------------------------------------------------------------------------------------
    def _current(self) -> ModelChoice | None:
        info = self._app.model.info
        return None if info is None else info.key

    def _atlas_arrived(self, wanted: tuple[ModelChoice, str, str], atlas: Atlas | None) -> None:
        if wanted != (self._current(), self.layer, self.folder):
            return  # of a selection or folder no longer shown
        self.indexed = atlas is not None
        if atlas is None:  # no finished index of this layer: the user may ask for the pass
            self.not_indexed.emit(wanted[1])
            return
        self.atlas = atlas
        self.atlas_changed.emit(atlas)
        if atlas.unreadable:
            first = atlas.unreadable[0]
            more = f" (and {len(atlas.unreadable) - 1} more: see details)" if len(atlas.unreadable) > 1 else ""
            details = "\n".join(f"{item.path}: {item.reason}" for item in atlas.unreadable)
            self._notices.notify(f"{first.path}: {first.reason}{more}", details, level="warning", kind=JobKind.ATLAS)
        self.request_patches()
        if self.layer is not None:
            self._app._submit(
                JobKind.ATLAS_SHEET,
                JobName.ATLAS_SHEET,
                atlas,
                self.layer,
                on_result=lambda sheet: self._sheet_arrived(atlas, sheet),
                description=f"Best patch of every channel of {self.layer}",
            )

    def _atlas_error(self, error: JobError) -> None:
        self._notices.job_failed(JobKind.ATLAS, error)
        self.atlas_failed.emit(error.message)

    def _patches_arrived(self, atlas: Atlas, patches: ChannelPatches) -> None:
        if atlas is not self.atlas or (patches.layer, patches.channel) != (self.layer, self.channel):
            return
        self.patches = patches
        self.patches_changed.emit(patches)

    def _sheet_arrived(self, atlas: Atlas, sheet: AtlasSheet) -> None:
        if atlas is self.atlas and sheet.layer == self.layer:
            self.sheet = sheet
            self.sheet_changed.emit(sheet)

    def _optimised_arrived(self, wanted: tuple[ModelChoice, str, int], image: OptimisedImage) -> None:
        if wanted == (self._current(), self.layer, self.channel):
            self.optimised = image
            self.optimised_changed.emit(image)

    def _unit_arrived(self, wanted: tuple[ModelChoice, str, int, str], unit: UnitAttribution) -> None:
        shown = self._app.images.shown
        if shown is not None and wanted == (self._current(), self.layer, self.channel, shown.path):
            self.unit = unit
            self.unit_changed.emit(unit)

    def _drop_atlas(self) -> None:
        self._app.jobs.withdraw(JobKind.ATLAS_SHEET)
        if self.atlas is not None:
            self.atlas = None
            self.atlas_changed.emit(None)
        if self.sheet is not None:
            self.sheet = None
            self.sheet_changed.emit(None)

    def _drop_channel(self) -> None:
        """What was of the previous channel goes (its patches, its image, its unit)."""
        self._app.jobs.withdraw(JobKind.ATLAS_PATCHES)
        self._app.jobs.withdraw(JobKind.OPTIMISE)
        self._app.jobs.withdraw(JobKind.UNIT)
        for name, signal in (
            ("patches", self.patches_changed),
            ("optimised", self.optimised_changed),
            ("unit", self.unit_changed),
        ):
            if getattr(self, name) is not None:
                setattr(self, name, None)
                signal.emit(None)
