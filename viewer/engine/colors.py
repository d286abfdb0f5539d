"""Scores as colours for the engine's exports: re-exported from :mod:`viewer.core.colors` (numpy and Pillow only),
where the widgets find the same functions without importing the engine."""

from viewer.core.colors import colorize, overlay

__all__ = ["colorize", "overlay"]
