"""The desktop app (PySide6 + pyqtgraph): thin views over engine results. Start it with ``run_gui``.

Packages, each with what it may import in its docstring (and in pyproject.toml's import-linter contracts):
``state`` (the one state model), ``jobs`` (the job runner, job kinds and policy, the engine's choice), ``client``
(the engine client: starts or reaches the engine; no Qt, no torch), ``window`` (the main window and its wiring),
``widgets`` (thin views: only the core), ``runtime`` (the window's process itself: the QApplication, settings,
the error sink, garbage collection on the GUI thread only). ``window.launch`` is ``viewer gui``.
"""

from __future__ import annotations

__all__ = ["run_gui"]


def run_gui(*args, **kwargs) -> int:
    from viewer.gui.window.launch import run_gui as launch

    return launch(*args, **kwargs)
