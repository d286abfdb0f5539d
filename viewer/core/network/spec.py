"""What the window knows of one network of the zoo before it is built: plain data that crosses the wire.

The engine's registry holds :class:`viewer.engine.models.registry.ModelSpec`, this plus the function that builds the
module (which never leaves the engine); :class:`~viewer.core.results.session.Registry` carries these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from viewer.core.network.input import InputSpec

__all__ = ["NetworkSpec"]


@dataclass(frozen=True)
class NetworkSpec:
    """Everything the app knows about one network before building it (the builder stays in the engine)."""

    name: str
    family: str
    paper: str
    source: str  # "torchvision", "seed" or "custom"
    input: InputSpec
    categories: tuple[str, ...]
    weights: tuple[str, ...]  # names a user may pick besides "none" (and a file)
    default_weights: str | None
    num_params: int | None = None
    gmacs: float | None = None
    accuracy: dict[str, float] = field(default_factory=dict)
    # The torchvision network whose weights enum this one loads ("" = its own): He et al.'s v1 ResNets load
    # torchvision's v1.5 weights, and every view of those weights says so with ``weights_note``.
    weights_of: str = ""
    weights_note: str = ""
    # Which form of the architecture, where the lecture's numbers depend on it: "v1.5" for torchvision's
    # ResNet-50/101/152 (stride on the 3×3), "v1" for He et al.'s original (stride on the first 1×1).
    variant: str = ""

    @property
    def has_pretrained(self) -> bool:
        return self.default_weights is not None

    def label(self) -> str:
        """Short text for pickers: ``resnet50 · 25.6M · 4.09 GMACs``."""
        parts = [f"{self.name} ({self.variant})" if self.variant else self.name]
        if self.num_params is not None:
            parts.append(f"{self.num_params / 1e6:.1f}M" if self.num_params >= 1e5 else f"{self.num_params / 1e3:.1f}k")
        if self.gmacs is not None:
            parts.append(f"{self.gmacs:.2f} GMACs" if self.gmacs >= 0.01 else f"{self.gmacs * 1e3:.2f} MMACs")
        if self.weights_note:
            parts.append(self.weights_note)
        return " · ".join(parts)

    def plain(self) -> NetworkSpec:
        """This spec as a :class:`NetworkSpec` itself (a subclass's extra fields, such as a builder, dropped)."""
        if type(self) is NetworkSpec:
            return self
        return NetworkSpec(**{f.name: getattr(self, f.name) for f in fields(NetworkSpec)})
