"""The headless engine: torch, torchvision, numpy and Pillow only, never Qt.

Every result the GUI or the CLI shows is computed here and returned as plain dataclasses of numpy arrays.
Import the submodules directly (``from viewer.engine.inference import classify``): importing this package
stays cheap.
"""
