"""The desktop app (PySide6 + pyqtgraph): thin views over engine results. Start it with ``run_gui``."""

from __future__ import annotations

__all__ = ["run_gui"]


def run_gui(*args, **kwargs) -> int:
    from viewer.gui.launch import run_gui as launch

    return launch(*args, **kwargs)
