"""The atlas pass as a job: every image of a folder through the network once, each chosen layer's top-N per channel
kept as it goes, the index saved; a generator that yields ``Progress`` (images/s, time left) and returns an
:class:`~viewer.core.results.atlas.Atlas`.

Cancelling is closing the generator between two batches: the progress so far (the files done, the running tops)
is saved before it ends, and the next pass with the same key resumes from there. An index that is already complete
is read and returned without a forward pass and without a single progress step.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch

from viewer.core.errors import ExportError, ModelError
from viewer.core.graph.receptive import ReceptiveField
from viewer.core.progress import Job, Progress, time_left
from viewer.core.results.atlas import Atlas, LayerAtlas, Unreadable
from viewer.core.results.summary import Summary
from viewer.engine.activations import layer_outputs
from viewer.engine.atlas.folder import FolderFile, FolderImages, default_workers, folder_loader, list_images
from viewer.engine.atlas.running import COLUMNS, RunningTop
from viewer.engine.atlas.store import (
    TABLE_COLUMNS,
    IndexState,
    LayerState,
    default_index_dir,
    index_key,
    index_paths,
    load_index,
    save_index,
)
from viewer.engine.images import input_box_to_image
from viewer.engine.summary import summarize

if TYPE_CHECKING:
    from viewer.core.network.input import InputSpec
    from viewer.engine.models.weights import LoadedModel

__all__ = ["DEFAULT_BATCH", "DEFAULT_TOP", "atlas_pass", "indexed_atlas", "layer_geometry"]

DEFAULT_TOP = 9  # Zeiler & Fergus's 3 x 3 grids
DEFAULT_BATCH = 64
CHECKPOINT_SECONDS = 30.0  # a long pass is also saved this often, so that a killed process loses little


def layer_geometry(summary: Summary, layer: str) -> tuple[int, tuple[int, int], ReceptiveField | None]:
    """(channels, map (height, width), receptive field) of ``layer`` as the atlas counts them (see ``running``)."""
    node = summary.find(layer)  # a ModelError with close names for a typo
    if node.output_shape is None or node.training_only:
        raise ModelError(f"{summary.model_name} layer {layer!r} does not run at inference, so it has no activations.")
    shape = node.output_shape
    if len(shape) == 3:
        return int(shape[0]), (int(shape[1]), int(shape[2])), node.receptive_field
    # A vector or tokens: one channel per element, each seeing the whole input (as the Activations tab shows it).
    return int(np.prod(shape)), (1, 1), None


def atlas_pass(
    loaded: LoadedModel,
    folder: str | os.PathLike[str],
    layers: Sequence[str],
    *,
    top: int = DEFAULT_TOP,
    batch_size: int = DEFAULT_BATCH,
    workers: int | None = None,
    index_dir: str | os.PathLike[str] | None = None,
    exclude: Sequence[str | os.PathLike[str]] = (),
    context: str | None = None,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
) -> Job[Atlas]:
    """Each channel's ``top`` strongest images of ``folder`` (recursively) in ``layers`` of ``loaded``.

    Args:
        loaded: The network; it runs on its own device, fed with its weights' preprocessing.
        folder: The folder of images (the engine's filesystem).
        layers: Module names, as in the summary (``classifier.4``).
        top: Images kept per channel.
        batch_size: Images per forward pass.
        workers: Decoding processes (None: :func:`~viewer.engine.atlas.folder.default_workers`; 0: this process).
        index_dir: Where the index is kept (None: :func:`~viewer.engine.atlas.store.default_index_dir`).
        exclude: Folders below ``folder`` to skip (where the caller writes its own images); ``index_dir`` always is.
        context: The workers' start method (None: torch's default).
        checkpoint_seconds: Save the unfinished index this often during the pass (and always when cancelled).
    """
    opened = _open(loaded, folder, layers, top, index_dir, exclude)
    wanted, root, store, files, key, made_of, state = opened
    if state is not None and state.complete:
        return _result(root, loaded, state, store, from_index=True, seconds=0.0)

    summary = summarize(loaded)
    geometry = {layer: layer_geometry(summary, layer) for layer in wanted}
    if state is None or [layer.layer for layer in state.layers] != wanted:
        state = IndexState(
            key=key,
            made_of=made_of,
            files=[file.relative for file in files],
            layers=[
                LayerState(layer, shape, field, _empty_table(channels, top))
                for layer, (channels, shape, field) in geometry.items()
            ],
        )
    device = loaded.device
    running = {layer.layer: RunningTop.from_array(_running_columns(layer), device) for layer in state.layers}
    size = loaded.input.crop_size
    total, begun = len(state.files), state.done
    loader = folder_loader(
        FolderImages(root, state.files, loaded.input),
        start=state.done,
        batch_size=batch_size,
        workers=default_workers() if workers is None else max(0, workers),
        context=context,
    )
    started = time.perf_counter()
    clock = {"saved": started}  # when the index last counted this run's seconds
    method, consistent = "auto", True

    def save(complete: bool) -> bool:
        """Write the index; False when it cannot be written (a read-only cache must not cost the pass)."""
        for layer in state.layers:
            layer.table = _table(running[layer.layer], layer, (size, size), loaded.input)
        state.complete = complete
        now = time.perf_counter()
        state.seconds += now - clock["saved"]
        clock["saved"] = now
        try:
            save_index(store, state)
        except (OSError, ExportError):
            return False
        return True

    batches = iter(loader)
    try:
        yield Progress(state.done, total, f"{root.name}: {state.done:,} of {total:,} images, starting…")
        for batch in batches:
            if batch.images is not None:
                with torch.no_grad():
                    outputs, method = layer_outputs(
                        loaded.model, batch.images.to(device, non_blocking=True), wanted, summary, method=method
                    )
                missing = [layer for layer in wanted if outputs.get(layer) is None]
                if missing:
                    raise ModelError(f"{loaded.name} layer(s) {', '.join(missing)} gave no tensor output.")
            consistent = False  # until every layer and the counters say the same batch
            if batch.images is not None:
                for layer in wanted:
                    running[layer].update(outputs[layer], batch.indices, batch.sizes)
                state.indexed += int(batch.indices.shape[0])
            state.unreadable.extend((state.files[index], reason) for index, reason in batch.failed)
            state.done += batch.files
            consistent = True
            now = time.perf_counter()
            if now - clock["saved"] >= checkpoint_seconds and state.done < total:
                save(complete=False)
            yield Progress(state.done, total, _message(root.name, state.done, total, begun, now - started))
    except BaseException:  # cancelled (GeneratorExit), interrupted or failed: keep what was done for the next run
        if consistent and state.done > begun:
            with contextlib.suppress(Exception):  # the original error is the one to report
                save(complete=False)
        raise
    finally:
        del batches  # the workers stop now, not when the frame is collected
    elapsed = time.perf_counter() - started
    saved = save(complete=True)
    return _result(root, loaded, state, store if saved else None, from_index=False, seconds=elapsed)


def indexed_atlas(
    loaded: LoadedModel,
    folder: str | os.PathLike[str],
    layers: Sequence[str],
    *,
    top: int = DEFAULT_TOP,
    index_dir: str | os.PathLike[str] | None = None,
) -> Atlas | None:
    """The atlas of a finished index of ``folder`` (what :func:`atlas_pass` would return at once), or None when
    the folder has no finished index for these layers: no forward pass, only the folder's listing and the index
    read (the window reads an index by itself when a layer is chosen; a pass, minutes over a large folder, runs
    only when the user asks)."""
    opened = _open(loaded, folder, layers, top, index_dir, ())
    if opened.state is None or not opened.state.complete:
        return None
    return _result(opened.root, loaded, opened.state, opened.store, from_index=True, seconds=0.0)


def _open(
    loaded: LoadedModel,
    folder: str | os.PathLike[str],
    layers: Sequence[str],
    top: int,
    index_dir: str | os.PathLike[str] | None,
    exclude: Sequence[str | os.PathLike[str]],
) -> _Opened:
    """What a pass or a reading of ``folder``'s index starts from (see :class:`_Opened`)."""
    wanted = list(dict.fromkeys(layers))
    if not wanted:
        raise ModelError("No layer was chosen for the atlas.")
    if top < 1:
        raise ModelError(f"The atlas keeps at least one image per channel, not {top}.")
    root = Path(folder).expanduser().resolve()
    store = Path(index_dir).expanduser() if index_dir is not None else default_index_dir()
    files = list_images(root, exclude=[*exclude, store])
    key, made_of = index_key(loaded, wanted, top, files)
    return _Opened(wanted, root, store, files, key, made_of, load_index(store, key))


class _Opened(NamedTuple):
    wanted: list[str]  # the layers, each once
    root: Path  # the folder
    store: Path  # the index's folder
    files: list[FolderFile]  # the folder's images
    key: str  # the index's key
    made_of: dict[str, Any]  # what the key is made of (written beside the index)
    state: IndexState | None  # the index found under that key; None: none yet


def _message(name: str, done: int, total: int, begun: int, elapsed: float) -> str:
    rate = (done - begun) / elapsed if elapsed > 0 else 0.0
    return f"{name}: {done:,} of {total:,} images, {rate:,.0f} images/s{time_left(done, total, begun, elapsed)}"


def _empty_table(channels: int, top: int) -> np.ndarray:
    table = np.zeros((channels, top, len(TABLE_COLUMNS)), dtype=np.float64)
    table[..., 0], table[..., 1] = -np.inf, -1
    return table


def _running_columns(layer: LayerState) -> np.ndarray:
    """A table's running state (``running.COLUMNS``): the flat cell from its row and column."""
    table = layer.table
    position = table[..., 2] * layer.map_shape[1] + table[..., 3]
    columns = (table[..., 0], table[..., 1], position, table[..., 4], table[..., 5])
    assert len(columns) == len(COLUMNS)
    return np.stack(columns, axis=-1)


def _table(running: RunningTop, layer: LayerState, input_size: tuple[int, int], spec: InputSpec) -> np.ndarray:
    """The index's table of a running top: each entry's cell and its field in the input's and the image's pixels."""
    state = running.to_array()
    table = np.zeros((*state.shape[:2], len(TABLE_COLUMNS)), dtype=np.float64)
    row, col = np.divmod(state[..., 2].astype(np.int64), layer.map_shape[1])
    table[..., 0], table[..., 1], table[..., 2], table[..., 3] = state[..., 0], state[..., 1], row, col
    table[..., 4:6] = state[..., 3:5]
    height, width = input_size
    for channel, slot in zip(*np.nonzero(state[..., 1] >= 0), strict=True):
        r, c = int(row[channel, slot]), int(col[channel, slot])
        field = layer.receptive_field
        box = field.box(r, c, clip=(height, width)) if field is not None else (0.0, 0.0, float(width), float(height))
        image_size = (int(state[channel, slot, 3]), int(state[channel, slot, 4]))
        table[channel, slot, 6:10] = box
        table[channel, slot, 10:14] = input_box_to_image(box, image_size, spec, "weights")
    return table


def _result(
    root: Path, loaded: LoadedModel, state: IndexState, store: Path | None, *, from_index: bool, seconds: float
) -> Atlas:
    """The index as the result (``store``: where it was saved, None if it could not be): only the images its
    entries name are listed, and indexed from 0."""
    named = sorted({int(i) for layer in state.layers for i in np.unique(layer.table[..., 1]) if i >= 0})
    lookup = np.full(len(state.files) + 1, -1, dtype=np.int32)  # the last slot: -1 for an empty slot
    lookup[named] = np.arange(len(named), dtype=np.int32)
    layers = {}
    for layer in state.layers:
        table = layer.table
        images = table[..., 1].astype(np.int64)
        layers[layer.layer] = LayerAtlas(
            layer=layer.layer,
            map_shape=layer.map_shape,
            receptive_field=layer.receptive_field,
            values=table[..., 0].astype(np.float32),
            image=lookup[np.where(images >= 0, images, len(state.files))],
            row=table[..., 2].astype(np.int32),
            col=table[..., 3].astype(np.int32),
            input_box=table[..., 6:10].astype(np.float32),
            image_box=table[..., 10:14].astype(np.float32),
            image_size=table[..., 4:6].astype(np.int32),
        )
    return Atlas(
        folder=str(root),
        network=loaded.name,
        weights=loaded.weights_label,
        preprocess=f"weights ({loaded.recipe.label})",
        input_shape=loaded.input.shape,
        top=int(state.made_of["top"]),
        layers=layers,
        images=[str(root / state.files[i]) for i in named],
        files=len(state.files),
        indexed=state.indexed,
        unreadable=[Unreadable(str(root / path), reason) for path, reason in state.unreadable],
        key=state.key,
        index_path="" if store is None else str(index_paths(store, state.key, 0)[0]),
        from_index=from_index,
        seconds=seconds,
    )
