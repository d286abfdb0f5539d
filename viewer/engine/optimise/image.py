"""The image being optimised, parameterised as Olah et al. (2017) and Lucid do it: a scaled Fourier spectrum whose
colours are decorrelated, squashed into [0, 1] by a sigmoid.

Why not pixels: gradient ascent on pixels puts most of its steps into high frequencies, which the network is most
sensitive to and a person sees as noise. Optimising the spectrum, each frequency scaled by 1/f (the falloff of
natural images' spectra), makes every frequency about equally easy to change, so low frequencies, the shapes, move
as fast as the texture ("preconditioning", Distill's section "The Enemy of Feature Visualization"). Likewise the
three colour channels are optimised in a decorrelated basis (the square root of ImageNet's colour covariance, as
Lucid measured it), so a step changes luminance and colour independently.
"""

from __future__ import annotations

import torch

__all__ = ["COLOR_CORRELATION_SVD_SQRT", "FourierImage"]

# Lucid's square root of ImageNet's colour correlation (columns: the decorrelated basis, as RGB); divided by its
# largest column norm below, as Lucid does, so that the basis does not scale the image up.
COLOR_CORRELATION_SVD_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))
INIT_SD = 0.01  # Lucid's standard deviation of the random spectrum: the first image is grey with a faint noise
SPECTRUM_DIVISOR = 4.0  # Lucid's constant after the inverse transform: keeps the first steps out of saturation


def _frequencies(height: int, width: int) -> torch.Tensor:
    """|f| of each coefficient of a real 2-D FFT of an (height, width) image, in cycles per pixel."""
    fy = torch.fft.fftfreq(height).unsqueeze(1)
    fx = torch.fft.rfftfreq(width).unsqueeze(0)
    return torch.sqrt(fx * fx + fy * fy)


class FourierImage:
    """A (C, H, W) image in [0, 1] made from ``spectrum``, the tensor to optimise.

    Args:
        channels: 3 (RGB, colours decorrelated) or 1 (grey).
        size: (height, width) in pixels.
        generator: The random source of the first spectrum (a seeded CPU generator makes it reproducible).
        device: Where the spectrum lives (the network's device).
        decay_power: The exponent of the 1/f scaling (Lucid's 1).
        decorrelate: Optimise colour in the decorrelated basis (ignored for one channel).
    """

    def __init__(
        self,
        channels: int,
        size: tuple[int, int],
        *,
        generator: torch.Generator,
        device: torch.device,
        decay_power: float = 1.0,
        decorrelate: bool = True,
    ) -> None:
        height, width = size
        self.size = size
        frequencies = _frequencies(height, width)
        # The lowest frequency is floored at one cycle per image: the DC term would otherwise be scaled infinitely.
        scale = 1.0 / torch.clamp(frequencies, min=1.0 / max(height, width)) ** decay_power
        self.scale = (scale / SPECTRUM_DIVISOR).to(device)
        # Real and imaginary parts as a last axis of 2, so that the optimiser sees plain real numbers.
        shape = (channels, *frequencies.shape, 2)
        self.spectrum = (torch.randn(shape, generator=generator) * INIT_SD).to(device).requires_grad_(True)
        self.decorrelate = decorrelate and channels == 3
        basis = torch.tensor(COLOR_CORRELATION_SVD_SQRT)
        self.color_basis = (basis / basis.norm(dim=0).max()).to(device)

    def __call__(self) -> torch.Tensor:
        """The image, (C, H, W) in [0, 1], as a differentiable function of ``spectrum``."""
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        # norm="ortho" makes the transform unitary (Lucid's multiplication by sqrt(H W)): the learning rate means
        # the same at every image size.
        image = torch.fft.irfft2(spectrum, s=self.size, norm="ortho")
        if self.decorrelate:  # each pixel's three values times the basis: one (3, 3) @ (3, H W) product
            image = torch.mm(self.color_basis, image.flatten(1)).view(image.shape)
        return torch.sigmoid(image)
