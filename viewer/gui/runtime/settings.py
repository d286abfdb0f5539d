"""Every QSettings key the app uses, in one place, with typed accessors.

Tests point QSettings at a temporary folder with :func:`use_settings_path` so that no test reads or
writes the user's real settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, QSettings, QThread, QTimer

from viewer.core.diagram.layout import Direction, direction_of

__all__ = [
    "APPLICATION",
    "MAX_RECENT",
    "ORGANIZATION",
    "Settings",
    "use_settings_path",
]

ORGANIZATION = "convnet-viewer"
APPLICATION = "viewer"
MAX_RECENT = 10
# A QSettings write rewrites the INI file and waits for the disk (fdatasync: 10-25 ms here, 130-390 ms while
# other processes write). Qt writes after every change, on the GUI thread, holding the GIL (so no other thread
# can take it over): during rapid switching (each tab or image switch saves the tab or the recent files) that
# was a stall per switch. Changes are written once they pause for this many milliseconds, and on exit.
WRITE_DELAY_MS = 2000

GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
SPLITTER = "window/splitter"
TAB = "window/tab"
MODEL = "model/name"
WEIGHTS = "model/weights"
MODEL_FILE = "model/file"
DEVICE = "model/device"
PRESET = "model/preset"
TTA = "model/tta"
TOPK = "predictions/topk"
SHOW_LOGITS = "predictions/logits"
DIAGRAM_DIRECTION = "architecture/direction"  # "TB" or "LR": where the data flows in the diagram
RECENT = "files/recent"
LAST_FOLDER = "files/last_folder"
TRUSTED_MODEL_FILES = "security/trusted_model_files"  # {resolved path: sha256} of custom model files run before
# {resolved path: "sha256 recipe"} of the weights files whose recipe the user chose ("" after the sha256: the
# network's default, or what the file says); see viewer.gui.state.recipe.
WEIGHTS_RECIPES = "weights/recipes"


def use_settings_path(folder: str | Path) -> None:
    """Store every setting as an INI file under ``folder`` (tests; portable installs)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))


class _DelayedWrites(QObject):
    """Holds QSettings' own write-after-every-change back until changes pause for ``WRITE_DELAY_MS``.

    Values set but not yet written are seen by every QSettings of the process (Qt shares them); they are
    written by the timer, by :meth:`Settings.sync`, or when the QSettings is destroyed.
    """

    def __init__(self, settings: QSettings) -> None:
        super().__init__()
        self._settings = settings
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WRITE_DELAY_MS)
        self._timer.timeout.connect(settings.sync)
        settings.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.UpdateRequest:  # Qt's "write now", posted after a change
            return False
        self._timer.start()  # (re)started: while the user switches, nothing waits for the disk
        return True


class Settings:
    """Typed access to the app's QSettings; changes made on the GUI thread are written to disk once they pause
    for two seconds (and by :meth:`sync`, or when the QSettings goes)."""

    def __init__(self) -> None:
        self._settings = QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        app = QCoreApplication.instance()
        on_gui_thread = app is not None and QThread.currentThread() is app.thread()
        self._delayed = _DelayedWrites(self._settings) if on_gui_thread else None

    @property
    def qsettings(self) -> QSettings:
        return self._settings

    def sync(self) -> None:
        self._settings.sync()

    # --- plain values -------------------------------------------------------------------------------
    def _str(self, key: str, default: str | None = None) -> str | None:
        value = self._settings.value(key, default)
        return None if value in (None, "") else str(value)

    def _bool(self, key: str, default: bool) -> bool:
        value = self._settings.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def _int(self, key: str, default: int) -> int:
        try:
            return int(str(self._settings.value(key, default)))
        except (TypeError, ValueError):
            return default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # --- engine -------------------------------------------------------------------------------------
    def engine(self) -> tuple[str, str | None]:
        """Where jobs run (File › Engine…): ``"local"`` or a server's ``"HOST:PORT"``, and its token file."""
        return self._str("engine/where", "local") or "local", self._str("engine/token_file")

    def set_engine(self, where: str, token_file: str | None) -> None:
        self._settings.setValue("engine/where", where)
        self._settings.setValue("engine/token_file", token_file or "")

    # --- window -------------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes(GEOMETRY)

    def window_state(self) -> QByteArray | None:
        return self._bytes(WINDOW_STATE)

    def splitter(self) -> QByteArray | None:
        return self._bytes(SPLITTER)

    def save_window(self, geometry: QByteArray, state: QByteArray, splitter: QByteArray) -> None:
        self._settings.setValue(GEOMETRY, geometry)
        self._settings.setValue(WINDOW_STATE, state)
        self._settings.setValue(SPLITTER, splitter)

    def tab(self) -> str | None:
        return self._str(TAB)

    def set_tab(self, name: str) -> None:
        self._settings.setValue(TAB, name)

    # --- model choice -------------------------------------------------------------------------------
    def model(self) -> str | None:
        return self._str(MODEL)

    def weights(self) -> str | None:
        return self._str(WEIGHTS)

    def model_file(self) -> str | None:
        return self._str(MODEL_FILE)

    def device(self) -> str:
        return self._str(DEVICE) or "auto"

    def preset(self) -> str:
        return self._str(PRESET) or "weights"

    def tta(self) -> bool:
        return self._bool(TTA, False)

    def topk(self) -> int:
        return self._int(TOPK, 5)

    def show_logits(self) -> bool:
        return self._bool(SHOW_LOGITS, False)

    def save_choice(
        self,
        *,
        model: str | None,
        weights: str | None,
        model_file: str | None,
        device: str,
        preset: str,
        tta: bool,
        topk: int,
    ) -> None:
        values = {
            MODEL: model,
            WEIGHTS: weights,
            MODEL_FILE: model_file,
            DEVICE: device,
            PRESET: preset,
            TTA: tta,
            TOPK: topk,
        }
        for key, value in values.items():
            self._settings.setValue(key, "" if value is None else value)

    def set_show_logits(self, value: bool) -> None:
        self._settings.setValue(SHOW_LOGITS, value)

    def diagram_direction(self) -> Direction:
        return direction_of(self._str(DIAGRAM_DIRECTION) or "TB")

    def set_diagram_direction(self, direction: str) -> None:
        self._settings.setValue(DIAGRAM_DIRECTION, direction_of(direction))

    # --- files --------------------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self._settings.value(RECENT, [])
        if isinstance(value, str):  # a one-item list comes back from some formats as a plain string
            return [value] if value else []
        return [str(item) for item in value] if isinstance(value, list | tuple) else []

    def add_recent_file(self, path: str) -> list[str]:
        resolved = str(Path(path).resolve())
        recent = [resolved] + [item for item in self.recent_files() if item != resolved]
        recent = recent[:MAX_RECENT]
        self._settings.setValue(RECENT, recent)
        return recent

    def clear_recent_files(self) -> None:
        self._settings.setValue(RECENT, [])

    def last_folder(self) -> str:
        return self._str(LAST_FOLDER) or str(Path.home())

    def set_last_folder(self, folder: str) -> None:
        self._settings.setValue(LAST_FOLDER, folder)

    # --- custom model files (Python code: run only after the user said yes once for this content) ---
    def _trusted(self) -> dict[str, str]:
        value = self._settings.value(TRUSTED_MODEL_FILES, {})
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def is_trusted_model_file(self, path: str, sha256: str) -> bool:
        return self._trusted().get(str(Path(path).resolve())) == sha256

    def trust_model_file(self, path: str, sha256: str) -> None:
        trusted = self._trusted()
        trusted[str(Path(path).resolve())] = sha256
        self._settings.setValue(TRUSTED_MODEL_FILES, trusted)
        self._settings.sync()  # a yes to running code is written at once

    # --- the recipe chosen for each weights file (viewer.gui.state.recipe.RecipeStore) ----------------
    def _weights_recipes(self) -> dict[str, str]:
        value = self._settings.value(WEIGHTS_RECIPES, {})
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def recipe_of_file(self, path: str) -> tuple[str, str] | None:
        """(sha256, recipe text) chosen for the file at ``path`` (resolved), or None."""
        entry = self._weights_recipes().get(str(Path(path).resolve()))
        if entry is None:
            return None
        sha256, _, text = entry.partition(" ")
        return sha256, text

    def recipe_of_content(self, sha256: str) -> str | None:
        """The recipe text chosen for a file with this content, under any path, or None."""
        for entry in self._weights_recipes().values():
            digest, _, text = entry.partition(" ")
            if digest == sha256:
                return text
        return None

    def remember_recipe(self, path: str, sha256: str, text: str) -> None:
        recipes = self._weights_recipes()
        recipes[str(Path(path).resolve())] = f"{sha256} {text}"
        self._settings.setValue(WEIGHTS_RECIPES, recipes)

    def forget_recipe(self, path: str) -> None:
        recipes = self._weights_recipes()
        if recipes.pop(str(Path(path).resolve()), None) is not None:
            self._settings.setValue(WEIGHTS_RECIPES, recipes)
