"""A layer's running top-N per channel: the N images whose spatial maximum of the channel is highest so far.

Memory is channels x N whatever the folder's size: each batch's per-channel maxima are merged with the N kept and
cut back to N (the recipe of ``DESIGN.md``: a top-k over the kept and the new batch's maxima together). The merge
is a *stable* sort rather than ``torch.topk``: among equal values the earlier image wins, so the result is the
same whatever the batch boundaries (an interrupted pass that is resumed ends as an uninterrupted one).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["COLUMNS", "RunningTop", "channel_view"]

COLUMNS = ("value", "image", "position", "width", "height")
"""The state as one array (channels, N, 5), what the index stores: ``position`` is the flat cell (row * W + col)."""


def channel_view(output: torch.Tensor) -> torch.Tensor:
    """A batch of outputs as (B, channels, cells): feature maps keep their channels, anything else (a vector, tokens)
    is one channel per element, as the Activations tab shows it."""
    batch = output.shape[0]
    return output.reshape(batch, output.shape[1], -1) if output.dim() == 4 else output.reshape(batch, -1, 1)


class RunningTop:
    """The best ``top`` (value, image, cell, image size) per channel; empty slots hold image -1, value -inf."""

    def __init__(self, channels: int, top: int, device: torch.device | str = "cpu") -> None:
        self.values = torch.full((channels, top), -torch.inf, dtype=torch.float32, device=device)
        self.image = torch.full((channels, top), -1, dtype=torch.int64, device=device)
        self.position = torch.zeros((channels, top), dtype=torch.int64, device=device)
        self.size = torch.zeros((channels, top, 2), dtype=torch.int64, device=device)

    @property
    def channels(self) -> int:
        return int(self.values.shape[0])

    @property
    def top(self) -> int:
        return int(self.values.shape[1])

    def update(self, output: torch.Tensor, images: torch.Tensor, sizes: torch.Tensor) -> None:
        """Merge a batch: ``output`` (B, ...) of the layer, ``images`` (B,) their file indices, ``sizes`` (B, 2).

        The new state is made whole before it replaces the old, so that an interruption leaves the old one.
        """
        maps = channel_view(output.detach()).float()
        if maps.shape[1] != self.channels:
            raise ValueError(f"a batch of {maps.shape[1]} channels for a top of {self.channels}")
        peak, where = maps.max(dim=2)  # (B, C): each image's maximum per channel, at its first cell
        peak = torch.nan_to_num(peak, nan=-torch.inf)  # a NaN never outranks a number
        device, channels, count = self.values.device, self.channels, int(images.shape[0])
        values = torch.cat([self.values, peak.to(device).T], dim=1)
        order = torch.sort(values, dim=1, descending=True, stable=True).indices[:, : self.top]
        image = torch.cat([self.image, images.to(device).expand(channels, count)], dim=1)
        position = torch.cat([self.position, where.to(device).T], dim=1)
        size = torch.cat([self.size, sizes.to(device).unsqueeze(0).expand(channels, count, 2)], dim=1)
        merged = (
            values.gather(1, order),
            image.gather(1, order),
            position.gather(1, order),
            size.gather(1, order.unsqueeze(-1).expand(-1, -1, 2)),
        )
        self.values, self.image, self.position, self.size = merged

    def to_array(self) -> np.ndarray:
        """The state as float64 (channels, N, 5) in :data:`COLUMNS` order (exact: float32 values, small ints)."""
        columns = [
            self.values.double(),
            self.image.double(),
            self.position.double(),
            self.size[..., 0].double(),
            self.size[..., 1].double(),
        ]
        return torch.stack(columns, dim=-1).cpu().numpy()

    @classmethod
    def from_array(cls, array: np.ndarray, device: torch.device | str = "cpu") -> RunningTop:
        """The state :meth:`to_array` made."""
        if array.ndim != 3 or array.shape[2] != len(COLUMNS):
            raise ValueError(f"a running top is (channels, N, {len(COLUMNS)}), not {array.shape}")
        kept = cls(int(array.shape[0]), int(array.shape[1]), device)
        data = torch.from_numpy(np.ascontiguousarray(array)).to(device)
        kept.values = data[..., 0].float()
        kept.image = data[..., 1].long()
        kept.position = data[..., 2].long()
        kept.size = data[..., 3:5].long()
        return kept
