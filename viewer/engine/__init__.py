"""The headless engine: torch, torchvision, numpy and Pillow only, never Qt.

Every result the GUI or the CLI shows is computed here and returned as plain dataclasses of numpy arrays.
Import the submodules directly (``from viewer.engine.inference import classify``): importing this package
stays cheap.

Packages by concept: ``graph`` (the data-flow graph and the lecture's readings of it), ``layout`` (its drawing),
``heatmap`` (dense class maps and convolutionizing), ``explain`` (attribution maps), ``models`` (the registry,
weights, downloads, custom model files, recipes), ``zoo`` (the lecture's own networks), ``jobs`` (what the
engine process runs, by name), ``server`` (the engine process: its job loop, sessions and settings).

Torch-free (an import-linter contract in pyproject.toml holds it): ``export`` and the ``layout``
package. Every other module imports torch. The errors, colours and class search every layer uses are
``viewer.core``'s (imported from there: the engine re-exports nothing).
"""
