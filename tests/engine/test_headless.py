"""The engine never imports Qt: proven in a fresh interpreter, where nothing else could have loaded it."""

from __future__ import annotations

import subprocess
import sys

ENGINE_MODULES = [
    "viewer.core.errors",
    "viewer.engine.models.registry",
    "viewer.engine.models.weights",
    "viewer.engine.models.download",
    "viewer.engine.images",
    "viewer.engine.inference",
    "viewer.engine.summary",
    "viewer.engine.activations",
    "viewer.engine.heatmap.convolutionize",
    "viewer.engine.heatmap.dense",
    "viewer.engine.export",
    "viewer.core.colormap.images",
    "viewer.cli",
]


def test_engine_imports_no_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "qt_names = ('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'superqt', 'qtpy')\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in qt_names)\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Qt modules imported by the engine: {result.stdout.strip()}"
