"""The convolution a classifier's ``Linear`` becomes, computed as a GEMM over output positions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from viewer.core.errors import UnsupportedModelError

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

__all__ = ["ConvolutionizedLinear"]


class ConvolutionizedLinear(nn.Conv2d):
    """The convolution a ``Linear`` becomes: its weights reshaped to (out, C, kh, kw), shared, not copied.

    It *is* a ``Conv2d`` (summaries and receptive-field code read it as one) but computes itself as one GEMM
    over output positions, because on CPU oneDNN's direct convolution runs a 6×6 or 7×7 kernel with 4096
    outputs on a small map at 0.3–0.7 of the machine's matmul rate, a GEMM at 0.7–0.95 (``bench/dense.py``):

    - at the canonical size: exactly the original ``Linear``;
    - otherwise: rows of (C·kh·kw) features per output position (im2col in bands of output rows to bound
      memory; a free view for 1×1 on channels-last maps) times the weight matrix, so the output comes out
      channels-last, which is what the next 1×1 layer reads without a copy;
    - on CPU with MKL the weight matrix is packed once for MKL's GEMM (``torch.ops.mkl._mkl_linear``, what
      inductor's freezing uses): thin GEMMs (VGG's fc6 over 100 positions) otherwise spend a quarter of their
      time re-packing 400 MB of weights at every call. The pack costs ~1.2× the matrix in memory; it is
      rebuilt when the weights change in place. ``use_mkl_pack = False`` turns it off.
    """

    # Bound the unfolded rows of one band (bytes): large images would otherwise unfold hundreds of MB.
    max_band_bytes = 64 * 1024 * 1024
    use_mkl_pack = True

    def __init__(self, linear: nn.Linear, in_channels: int, kernel: tuple[int, int]) -> None:
        kh, kw = kernel
        if linear.in_features != in_channels * kh * kw:
            raise UnsupportedModelError(
                f"a Linear with {linear.in_features} inputs follows a {in_channels}×{kh}×{kw} map; they do not match."
            )
        with torch.device("meta"):  # no allocation: the weights below are the Linear's own
            super().__init__(in_channels, linear.out_features, (kh, kw), bias=linear.bias is not None)
        self.weight = nn.Parameter(
            linear.weight.detach().view(linear.out_features, in_channels, kh, kw),
            requires_grad=linear.weight.requires_grad,
        )
        if linear.bias is not None:
            self.bias = nn.Parameter(linear.bias.detach(), requires_grad=linear.bias.requires_grad)
        self._pack: tuple[int, int, torch.Tensor] | None = None  # (weight id, weight version, packed)

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Self:
        # ``model.to(memory_format=torch.channels_last)`` would make the weight non-contiguous, and every
        # GEMM would then copy it: keep the matrix contiguous whatever the activations' layout.
        result: Self = super()._apply(fn, recurse)  # type: ignore[no-untyped-call]  # unannotated in torch
        if not self.weight.is_contiguous():
            self.weight = nn.Parameter(self.weight.detach().contiguous(), requires_grad=self.weight.requires_grad)
        self._pack = None
        return result

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = x.shape
        kh, kw = self.kernel_size
        matrix = self.weight.view(self.out_channels, -1)
        if (height, width) == (kh, kw):
            return F.linear(x.flatten(1), matrix, self.bias)[:, :, None, None]
        out_h, out_w = height - kh + 1, width - kw + 1
        if out_h <= 0 or out_w <= 0:
            return super().forward(x)  # let Conv2d raise its own message
        if (kh, kw) == (1, 1):
            rows = x.permute(0, 2, 3, 1).reshape(-1, channels)  # a view when x is channels-last
            return self._rows_times_weights(rows, matrix).view(batch, height, width, -1).permute(0, 3, 1, 2)
        row_bytes = matrix.shape[1] * out_w * batch * x.element_size()
        band = max(1, min(out_h, self.max_band_bytes // max(row_bytes, 1)))
        outputs = []
        for top in range(0, out_h, band):
            rows_in_band = min(band, out_h - top)
            # im2col straight into rows (position, C·kh·kw), the weight's own (C, kh, kw) order: one copy.
            windows = x[:, :, top : top + rows_in_band + kh - 1].unfold(2, kh, 1).unfold(3, kw, 1)
            rows = windows.permute(0, 2, 3, 1, 4, 5).reshape(-1, matrix.shape[1])
            outputs.append(self._rows_times_weights(rows, matrix).view(batch, rows_in_band, out_w, -1))
        return (outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)).permute(0, 3, 1, 2)

    def _rows_times_weights(self, rows: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        packed = self._packed(matrix, rows)
        if packed is not None:
            rows = rows.contiguous()
        if packed is None:
            return F.linear(rows, matrix, self.bias)
        result: torch.Tensor = torch.ops.mkl._mkl_linear(rows, packed, matrix, self.bias, rows.shape[0])
        return result

    def _packed(self, matrix: torch.Tensor, rows: torch.Tensor) -> torch.Tensor | None:
        if not (
            self.use_mkl_pack
            and matrix.device.type == "cpu"
            and matrix.dtype == rows.dtype == torch.float32
            and torch.backends.mkl.is_available()
            and hasattr(torch.ops.mkl, "_mkl_linear")
            and not torch.is_grad_enabled()
            and not _is_fake(rows)
        ):
            return None
        key = (id(self.weight), self.weight._version)
        if self._pack is None or self._pack[:2] != key:
            packed = torch.ops.mkl._mkl_reorder_linear_weight(matrix, rows.shape[0])
            self._pack = (*key, packed)
        return self._pack[2]


def _is_fake(tensor: torch.Tensor) -> bool:
    return type(tensor).__name__ == "FakeTensor"
