"""What a channel looks for, made visible: the image optimised to excite it (Olah et al. 2017, issue 23).

Written here rather than taken from a library: torch-lucent (the PyTorch port of Lucid) was last released in 2021
and requires ``kornia<=0.4.1`` plus IPython, pytest and coveralls at run time; horama (maintained, small) runs its
whole optimisation in one call with a tqdm bar and the global random state, so it can neither report each step,
be cancelled between steps, nor repeat a seed, and it follows the later MACO recipe (random crops and noise, NAdam,
a magnitude-constrained spectrum), not Olah et al.'s transforms. The method itself is a few dozen lines of torch.

- :mod:`~viewer.engine.optimise.image`: the image as a decorrelated, 1/f-scaled Fourier spectrum, sigmoid to [0, 1].
- :mod:`~viewer.engine.optimise.robustness`: each step's random shift, scale and rotation (one affine resampling).
- :mod:`~viewer.engine.optimise.job`: the objective (a channel's mean, the network run only up to its layer) and
  the optimisation as a job (a generator of ``Progress`` returning an
  :class:`~viewer.core.results.optimised.OptimisedImage`).

May import ``viewer.core``, torch, numpy and the engine's summary and atlas geometry; never Qt or the GUI.
"""
