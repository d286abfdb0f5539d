"""The versions of the libraries that made a result, written into its provenance (exports embed it).

Read here, on the engine's side, and stored in the result (``ClassHeatmap.versions``, ``Explanation.versions``):
the window exports results without importing torch.
"""

from __future__ import annotations

import torch
import torchvision

import viewer

__all__ = ["library_versions"]


def library_versions(*, captum: bool = False) -> dict[str, str]:
    """torch's, torchvision's (with ``captum``, Captum's) and the viewer's versions, in that order."""
    versions = {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__)}
    if captum:
        import captum as captum_module  # imported only for the explanations, which use it

        versions["captum"] = str(captum_module.__version__)
    versions["viewer"] = viewer.__version__
    return versions
