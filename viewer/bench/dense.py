"""Dense evaluation versus sliding windows (OverFeat's argument, measured).

For AlexNet at 1024×768 and VGG-16 at 512×512 (random init: only speed is measured), one table row per
conversion variant:

- ``dense``: the convolutionized network, one pass over the whole image;
- ``sliding``: the original network on every 224×224 window at the same output positions (stride 32),
  windows batched as a fair user would;
- the FLOP ratio sliding/dense (``FlopCounterMode``), the speed-up, and the dense pass's FLOP rate as a
  fraction of a large float32 matrix product's rate measured in the same process.

Goals: dense ≥ 0.90 of the matmul rate, and a speed-up at least the FLOP ratio. Variants: ``lecture``
(each Linear becomes a plain ``nn.Conv2d``, NCHW), ``gemm`` (:class:`ConvolutionizedLinear`'s plain GEMMs,
NCHW) and ``viewer`` (what ``dense_heatmap`` runs: GEMMs on MKL-packed weights, convolutions on weights
reordered once with their ReLU fused (:mod:`viewer.engine.heatmap.fold`), channels-last input).

``--cpu-time`` runs one thread and reads the process's CPU time: on a machine shared with other jobs it
measures the code, not the neighbours (the rate fraction stays meaningful; the times are one core's).
Run ``python -m viewer.bench.dense`` (a few minutes on 2 cores); other processes on the machine make every
number noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import torch
from torch import fx, nn
from torch.utils.flop_counter import FlopCounterMode

from viewer.bench.common import Row
from viewer.engine.heatmap.convolutionize import ConvolutionizedLinear, convolutionize
from viewer.engine.heatmap.fold import fold_batchnorm
from viewer.engine.models.registry import build_model, get_spec

__all__ = [
    "CASES",
    "MATMUL_FRACTION_GOAL",
    "DenseBenchRow",
    "bench_dense",
    "format_table",
    "lecture_variant",
    "matmul_rate",
    "measure",
    "random_model",
    "run",
    "viewer_bench_rows",
]

CASES: tuple[tuple[str, int, int], ...] = (("alexnet", 1024, 768), ("vgg16", 512, 512))
VARIANTS = ("lecture", "gemm", "viewer")
MATMUL_FRACTION_GOAL = 0.90  # the dense pass's FLOP rate as a fraction of a large matmul's (issue 13)


@dataclass
class DenseBenchRow:
    model: str
    variant: str
    image: tuple[int, int]  # (width, height)
    positions: tuple[int, int]  # output cells (rows, cols) = number of windows
    dense_ms: float
    sliding_ms: float
    dense_gflop: float
    sliding_gflop: float
    matmul_gflops: float  # the machine's float32 matmul rate, same process

    @property
    def flop_ratio(self) -> float:
        return self.sliding_gflop / self.dense_gflop

    @property
    def speedup(self) -> float:
        return self.sliding_ms / self.dense_ms

    @property
    def dense_gflops(self) -> float:
        return self.dense_gflop / (self.dense_ms / 1e3)

    @property
    def fraction_of_matmul(self) -> float:
        return self.dense_gflops / self.matmul_gflops

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "flop_ratio": self.flop_ratio,
            "speedup": self.speedup,
            "dense_gflops": self.dense_gflops,
            "fraction_of_matmul": self.fraction_of_matmul,
        }


CLOCK: Callable[[], float] = time.perf_counter  # time.process_time with --cpu-time


def _best_ms(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up: oneDNN builds its kernels for each new shape on first use
    best = math.inf
    for _ in range(repeats):
        started = CLOCK()
        function()
        best = min(best, CLOCK() - started)
    return best * 1e3


_MATRICES: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}


def matmul_rate(size: int = 4096, repeats: int = 5) -> float:
    """GFLOP/s of a float32 ``size``×``size`` matrix product on the CPU (best of ``repeats``)."""
    if size not in _MATRICES:
        generator = torch.Generator().manual_seed(0)
        _MATRICES[size] = (torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator))
    a, b = _MATRICES[size]
    with torch.inference_mode():
        milliseconds = _best_ms(lambda: torch.mm(a, b), repeats)
    return 2 * size**3 / (milliseconds / 1e3) / 1e9


def random_model(name: str, seed: int = 0) -> nn.Module:
    """A fixed-seed random network, allocated without torchvision's slow initialisation (meta → to_empty).

    Values are N(0, 1/fan-in) so activations neither vanish into denormals nor overflow through VGG.
    """
    with torch.device("meta"):
        model = build_model(name)
    model.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            fan_in = parameter[0].numel() if parameter.dim() > 1 else 4
            parameter.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)
        for buffer_name, buffer in model.named_buffers():
            buffer.fill_(1 if buffer_name.endswith("running_var") else 0)
    return model.eval()


def lecture_variant(fcn: fx.GraphModule) -> fx.GraphModule:
    """The lecture's straightforward conversion: every converted Linear a plain ``nn.Conv2d`` (same weights)."""
    plain = fx.GraphModule(fcn, fcn.graph)
    for name, module in list(plain.named_modules()):
        if isinstance(module, ConvolutionizedLinear):
            height, width = module.kernel_size
            conv = nn.Conv2d(module.in_channels, module.out_channels, (height, width), bias=module.bias is not None)
            conv.weight, conv.bias = module.weight, module.bias
            plain.add_submodule(name, conv)
    return plain


@contextlib.contextmanager
def _restore_packing() -> Iterator[None]:
    try:
        yield
    finally:
        ConvolutionizedLinear.use_mkl_pack = True


def _flops(function: Callable[[], object]) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        function()
    return counter.get_total_flops()


def measure(
    name: str,
    width: int,
    height: int,
    *,
    variants: tuple[str, ...] = VARIANTS,
    repeats: int = 5,
    window_batch: int = 32,
    max_windows: int | None = None,
) -> list[DenseBenchRow]:
    """Rows for ``name`` on a ``width``×``height`` input: each dense variant against one sliding-window run.

    ``max_windows`` times only that many windows and scales the time linearly (batched windows each cost
    the same), to bound the runtime of slow cases.
    """
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; use {VARIANTS}")
    model = random_model(name)
    crop = get_spec(name).input.crop_size
    converted = convolutionize(model, (3, crop, crop))
    image = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(1))
    dense = {}
    with torch.inference_mode(), _restore_packing():
        for variant in variants:
            fcn, batch = converted, image
            # The MKL pack of the weights is built by the first pass (once per model, ~0.2 s for VGG's
            # fc6) and, like oneDNN's kernel creation, stays out of the timings.
            ConvolutionizedLinear.use_mkl_pack = variant == "viewer"
            if variant == "lecture":
                fcn = lecture_variant(converted)
            elif variant == "viewer":  # channels-last input: oneDNN's convolutions and poolings follow it
                batch = image.contiguous(memory_format=torch.channels_last)
                fcn = fold_batchnorm(converted).module  # what dense_network runs: packed convolutions + ReLU
            rows, cols = fcn(batch).shape[-2:]
            # Matmul and dense passes alternate, best of each kept: a burst of load from other processes
            # then spoils one sample of either, not the ratio.
            dense_ms, matmul_gflops = math.inf, 0.0
            for _ in range(repeats):
                matmul_gflops = max(matmul_gflops, matmul_rate(repeats=1))
                dense_ms = min(dense_ms, _best_ms(functools.partial(fcn, batch), 1))
            ConvolutionizedLinear.use_mkl_pack = False  # FlopCounterMode does not see MKL's packed GEMM
            # Counted on the converted graph: FlopCounterMode does not see oneDNN's fused convolutions either.
            flops = _flops(functools.partial(converted if variant == "viewer" else fcn, batch))
            ConvolutionizedLinear.use_mkl_pack = True
            layout = torch.channels_last if variant == "viewer" else torch.contiguous_format
            dense[variant] = (dense_ms, flops, matmul_gflops, (int(rows), int(cols)), layout)
        rows, cols = dense[variants[0]][3]

        jump = 32  # both networks' total stride: window (i, j) starts at (32 i, 32 j), as the dense cells
        corners = [(jump * i, jump * j) for i in range(rows) for j in range(cols)]
        timed = corners if max_windows is None else corners[:max_windows]

        def sliding(selection: list[tuple[int, int]], layout: torch.memory_format) -> None:
            for start in range(0, len(selection), window_batch):
                chunk = selection[start : start + window_batch]
                batch = torch.cat([image[:, :, y : y + crop, x : x + crop] for y, x in chunk])
                model(batch.contiguous(memory_format=layout))

        sliding_ms: dict[torch.memory_format, float] = {}  # the fair user batches in the same layout
        for layout in {entry[4] for entry in dense.values()}:
            sliding(timed[:window_batch], layout)  # warm-up
            started = CLOCK()
            sliding(timed, layout)
            sliding_ms[layout] = (CLOCK() - started) * 1e3 * len(corners) / len(timed)
        window_flops = _flops(lambda: model(image[:, :, :crop, :crop]))
    return [
        DenseBenchRow(
            model=name,
            variant=variant,
            image=(width, height),
            positions=positions,
            dense_ms=dense_ms,
            sliding_ms=sliding_ms[layout],
            dense_gflop=flops / 1e9,
            sliding_gflop=window_flops * len(corners) / 1e9,
            matmul_gflops=matmul_gflops,
        )
        for variant, (dense_ms, flops, matmul_gflops, positions, layout) in dense.items()
    ]


def format_table(rows: list[DenseBenchRow]) -> str:
    header = (
        f"{'model':8} {'variant':8} {'image':>9} {'cells':>6} {'dense ms':>9} {'sliding ms':>11} "
        f"{'speed-up':>8} {'FLOP ratio':>10} {'dense GFLOP/s':>13} {'matmul':>7} {'fraction':>8}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.model:8} {row.variant:8} {row.image[0]:>4}×{row.image[1]:<4} "
            f"{row.positions[0] * row.positions[1]:>6} "
            f"{row.dense_ms:>9.0f} {row.sliding_ms:>11.0f} {row.speedup:>8.1f} {row.flop_ratio:>10.1f} "
            f"{row.dense_gflops:>13.1f} {row.matmul_gflops:>7.1f} {row.fraction_of_matmul:>8.2f}"
        )
    lines.append(
        f"goals: fraction ≥ {MATMUL_FRACTION_GOAL:.2f} of the matmul rate; speed-up ≥ FLOP ratio. "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"{'CPU time' if CLOCK is time.process_time else 'wall clock'}; other load on the machine adds noise."
    )
    return "\n".join(lines)


def run(
    cases=CASES,
    variants=VARIANTS,
    *,
    repeats: int = 5,
    max_windows: int | None = 64,
    echo: Callable[[str], None] | None = print,
) -> list[DenseBenchRow]:
    """Measure every case and variant; ``echo`` gets the table (None: silent)."""
    rows = []
    for name, width, height in cases:
        rows.extend(measure(name, width, height, variants=tuple(variants), repeats=repeats, max_windows=max_windows))
    if echo is not None:
        echo(format_table(rows))
    return rows


def viewer_bench_rows(*, quick: bool = False) -> list[dict]:
    """The measurements as rows for ``viewer bench`` (keys of ``viewer.bench.Row``); CPU only.

    ``quick``: AlexNet at 1024×768 only, fewer repeats and windows (about 20 s on 2 cores).
    """
    cases = CASES[:1] if quick else CASES
    measured = run(cases, ("lecture", "viewer"), repeats=3 if quick else 5, max_windows=16 if quick else 64, echo=None)
    rows = []
    for row in measured:
        case = f"{row.model} {row.image[0]}×{row.image[1]} ({row.variant})"
        judged = row.variant == "viewer"  # the lecture's conversion is shown for comparison, not judged
        rows.append(
            {
                "section": "dense",
                "case": case,
                "ours": f"dense {row.dense_gflops:.0f} GFLOP/s",
                "reference": f"matmul {row.matmul_gflops:.0f} GFLOP/s",
                "value": row.fraction_of_matmul,
                "goal": f">= {MATMUL_FRACTION_GOAL:.2f}",
                "met": row.fraction_of_matmul >= MATMUL_FRACTION_GOAL if judged else None,
            }
        )
        rows.append(
            {
                "section": "dense",
                "case": case,
                "ours": f"dense {row.dense_ms:.0f} ms",
                "reference": f"sliding {row.sliding_ms:.0f} ms / FLOP ratio {row.flop_ratio:.1f}",
                "value": row.speedup / row.flop_ratio,
                "goal": ">= 1 (speed-up / FLOP ratio)",
                "met": row.speedup >= row.flop_ratio if judged else None,
            }
        )
    return rows


def bench_dense(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """``viewer bench --only dense``: the rows above as the table's rows (the dense path is measured on the CPU),
    then the heatmap's overhead over the bare network (:mod:`viewer.bench.heatmap`) on ``device``."""
    from viewer.bench.heatmap import bench_heatmap_overhead

    return [Row(**row) for row in viewer_bench_rows(quick=quick)] + bench_heatmap_overhead(quick=quick, device=device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="dense passes timed (best kept)")
    parser.add_argument(
        "--max-windows",
        type=int,
        default=64,
        help="time this many windows and extrapolate linearly (0: all; default 64)",
    )
    parser.add_argument("--variant", choices=VARIANTS, action="append", help="default: all")
    parser.add_argument("--cpu-time", action="store_true", help="one thread, timed by CPU time (robust to load)")
    arguments = parser.parse_args(argv)
    if arguments.cpu_time:
        global CLOCK
        CLOCK = time.process_time
        torch.set_num_threads(1)
    run(
        variants=tuple(arguments.variant or VARIANTS),
        repeats=arguments.repeats,
        max_windows=arguments.max_windows or None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
