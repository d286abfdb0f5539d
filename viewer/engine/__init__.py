"""The headless engine: torch, torchvision, numpy and Pillow only, never Qt.

Every result the GUI or the CLI shows is computed here and returned as plain dataclasses of numpy arrays.
Import the submodules directly (``from viewer.engine.inference import classify``): importing this package
stays cheap.

Torch-free (an import-linter contract in pyproject.toml holds it): ``class_names``, ``colors``, ``errors``,
``export``, ``graph_svg`` and the layout (``layout``, ``layout_order``, ``layout_parts``, ``layout_place``).
Every other module imports torch.
"""
