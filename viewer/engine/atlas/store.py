"""The atlas index on disk: one JSON and one ``.npy`` per layer, written as one set, read without pickle.

The index is named by its key, a sha256 of what its content depends on: the network (name, source, the shapes of
its parameters), the weights (name or file and sha256, a random init's seed), the preprocessing (preset and the
recipe's values), the layers, N, and the folder's files (relative paths, sizes, modification times). So another
network, other weights or a changed folder never read an index made for something else, and several indexes live
side by side in one folder. A finished index is read instead of running the pass; an unfinished one (``complete``
false, ``done`` files processed in file order) is resumed.

Each layer's ``.npy`` is float64 (channels, N, :data:`TABLE_COLUMNS`) (exact for float32 values and the small
integers beside them); ``image`` indexes the JSON's ``files`` (-1: an empty slot). The JSON says the columns, the
layer's map shape and receptive field, so the files are readable without this app.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from viewer.core.file_export import Writer, write_group
from viewer.core.graph.receptive import ReceptiveField
from viewer.engine.atlas.folder import FolderFile
from viewer.engine.export import json_bytes

if TYPE_CHECKING:
    from torch import nn

    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "FORMAT",
    "TABLE_COLUMNS",
    "IndexState",
    "LayerState",
    "default_index_dir",
    "index_key",
    "index_paths",
    "load_index",
    "save_index",
]

FORMAT = "convnet-viewer atlas index 1"
TABLE_COLUMNS = (
    "value",
    "image",
    "row",
    "col",
    "width",
    "height",
    "input_x0",
    "input_y0",
    "input_x1",
    "input_y1",
    "image_x0",
    "image_y0",
    "image_x1",
    "image_y1",
)
_NAME_LENGTH = 24  # hex digits of the key in the file names: 96 bits, no collision among a user's indexes


@dataclass
class LayerState:
    """One layer's part of the index: its top-N table (channels, N, len(TABLE_COLUMNS)) and its geometry."""

    layer: str
    map_shape: tuple[int, int]
    receptive_field: ReceptiveField | None
    table: np.ndarray


@dataclass
class IndexState:
    """Everything the index holds: the pass's progress over the folder's files and each layer's table."""

    key: str
    made_of: dict[str, Any]
    files: list[str]  # relative paths, in file order
    layers: list[LayerState]
    done: int = 0  # files processed (read or not), a prefix of ``files``
    indexed: int = 0  # of those, the ones that went through the network
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)
    complete: bool = False
    seconds: float = 0.0  # spent on the pass so far, over every run that added to it


def default_index_dir() -> Path:
    """``<user cache>/convnet-viewer/atlas`` (``$VIEWER_CACHE_DIR/atlas`` when that is set)."""
    base = os.environ.get("VIEWER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "convnet-viewer"
    )
    return Path(base) / "atlas"


def _architecture(model: nn.Module) -> str:
    """A sha256 of the module's class and its parameters' and buffers' names and shapes (not values: cheap)."""
    digest = hashlib.sha256(type(model).__qualname__.encode())
    for name, tensor in model.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)};".encode())
    return digest.hexdigest()


def index_key(
    loaded: LoadedModel, layers: Sequence[str], top: int, files: Sequence[FolderFile]
) -> tuple[str, dict[str, Any]]:
    """(the key, what it was made of) of an index of ``layers`` of ``loaded`` over ``files``."""
    listing = hashlib.sha256()
    for file in files:
        listing.update(f"{file.relative}\0{file.size}\0{file.mtime_ns}\n".encode())
    made_of: dict[str, Any] = {
        "format": FORMAT,
        "network": loaded.name,
        "source": loaded.spec.source,
        "architecture_sha256": _architecture(loaded.model),
        "weights": loaded.weights,
        "weights_sha256": loaded.weights_sha256,
        "seed": loaded.seed,
        "preprocess": {"preset": "weights", **dataclasses.asdict(loaded.input)},
        "layers": list(layers),
        "top": top,
        "files": len(files),
        "files_sha256": listing.hexdigest(),
    }
    key = hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()
    return key, made_of


def index_paths(index_dir: str | os.PathLike[str], key: str, layers: int) -> list[Path]:
    """The index's files: its JSON, then one ``.npy`` per layer."""
    stem = Path(index_dir).expanduser() / f"atlas-{key[:_NAME_LENGTH]}"
    return [stem.with_suffix(".json"), *(stem.with_name(f"{stem.name}.{i}.npy") for i in range(layers))]


def save_index(index_dir: str | os.PathLike[str], state: IndexState) -> Path:
    """Write ``state`` as one set (all files or none, replacing the earlier ones); returns the JSON's path."""
    folder = Path(index_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    paths = index_paths(folder, state.key, len(state.layers))
    document = {
        "format": FORMAT,
        "key": state.key,
        "made_of": state.made_of,
        "complete": state.complete,
        "done": state.done,
        "indexed": state.indexed,
        "seconds": state.seconds,
        "columns": list(TABLE_COLUMNS),
        "layers": [
            {
                "layer": layer.layer,
                "array": path.name,
                "map_shape": list(layer.map_shape),
                "receptive_field": None if layer.receptive_field is None else layer.receptive_field.as_dict(),
            }
            for layer, path in zip(state.layers, paths[1:], strict=True)
        ],
        "unreadable": [list(pair) for pair in state.unreadable],
        "files": state.files,
    }
    members: list[tuple[Path, Writer]] = [(paths[0], _bytes_writer(json_bytes(document)))]
    for layer, path in zip(state.layers, paths[1:], strict=True):
        members.append((path, _npy_writer(np.asarray(layer.table, dtype=np.float64))))
    write_group(members, force=True)
    return paths[0]


def _bytes_writer(payload: bytes) -> Writer:
    return lambda handle: handle.write(payload)


def _npy_writer(array: np.ndarray) -> Writer:
    return lambda handle: np.save(handle, array, allow_pickle=False)


def load_index(index_dir: str | os.PathLike[str], key: str) -> IndexState | None:
    """The index of ``key`` in ``index_dir``, or None when there is none or it cannot be trusted (another key, a
    missing or malformed member): the pass then starts again and overwrites it."""
    json_path = index_paths(index_dir, key, 0)[0]
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("key") != key:
            return None
        files = [str(name) for name in document["files"]]
        top = int(document["made_of"]["top"])
        layers = []
        for entry in document["layers"]:
            table = np.load(json_path.parent / Path(entry["array"]).name, allow_pickle=False)
            if table.ndim != 3 or table.shape[1:] != (top, len(TABLE_COLUMNS)):
                return None
            field_data = entry["receptive_field"]
            receptive = (
                None
                if field_data is None
                else ReceptiveField(
                    size=(int(field_data["size"][0]), int(field_data["size"][1])),
                    jump=(int(field_data["jump"][0]), int(field_data["jump"][1])),
                    start=(float(field_data["start"][0]), float(field_data["start"][1])),
                )
            )
            height, width = entry["map_shape"]
            layers.append(LayerState(str(entry["layer"]), (int(height), int(width)), receptive, table))
        return IndexState(
            key=key,
            made_of=dict(document["made_of"]),
            files=files,
            layers=layers,
            done=min(int(document["done"]), len(files)),
            indexed=int(document["indexed"]),
            unreadable=[(str(path), str(reason)) for path, reason in document["unreadable"]],
            complete=bool(document["complete"]),
            seconds=float(document.get("seconds", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
