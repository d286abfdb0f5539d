"""Train the bundled LeNet-5 weights (``resources/lenet5_mnist.pt``) on the MNIST test set, on the CPU.

Only the MNIST *test* set ships with the project's data (no internet), so it is split: images 0-7999
train, images 8000-9999 are held out and never seen; their accuracy is printed and recorded in
``resources/lenet5_mnist.json``. 8000 images are few for LeNet-5, hence random affine augmentation
(small rotations, scaling, shear and shifts), applied to the whole batch at once with
``affine_grid``/``grid_sample`` so that an epoch stays a second or two on two cores.

What is and is not reproducible (training takes about a minute of CPU per 60 epochs here, so the bundled file
has not been remade for this note):

- Reproducible: rerunning this script with the same torch build on the same kind of CPU gives the same weights
  bit for bit. Seeds are fixed (weights, shuffling, augmentation), the run uses one thread so that every float
  sum has one order, and ``torch.use_deterministic_algorithms(True)`` refuses non-deterministic kernels.
- Not reproducible: the same weights on another machine or another torch. The CPU kernels (oneDNN, MKL/OpenBLAS,
  and torch's own vectorised loops) pick their code path from the CPU's instruction sets (AVX2, AVX-512, NEON)
  and from the library versions, and each path rounds float sums in its own order; over 60 epochs those
  last-bit differences grow into different weights. One rerun elsewhere gave 99.05 % held-out accuracy and
  other weights. Expect a network of about the same accuracy (99.0-99.2 %), not this file.
- The bundled ``resources/lenet5_mnist.pt`` is what the app ships and what the README quotes: its held-out
  accuracy on images 8000-9999 is 99.15 %, recorded in ``resources/lenet5_mnist.json`` (with the torch version
  that made it, 2.14.1) and recomputed from the file by ``tests/engine/test_lenet.py``; the JSON written by a
  new run also records numpy, Python, the platform and the CPU, so two runs can be told apart.

Usage: ``python scripts/train_lenet5.py [--data ../shared/data/mnist] [--epochs 60] [--out resources]``
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from viewer.core.images.idx import read_idx
from viewer.engine.zoo.lenet import MNIST_MEAN, MNIST_STD, LeNet5

ROOT = Path(__file__).resolve().parents[1]
TRAIN_RANGE = (0, 8000)
HELD_OUT_RANGE = (8000, 10000)


def load_mnist_test(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as (N, 1, 28, 28) float in [0, 1] (what the engine's preprocessing produces before
    normalising) and labels as int64."""
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.copy()).float().div_(255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def normalize(x: torch.Tensor) -> torch.Tensor:
    return (x - MNIST_MEAN[0]) / MNIST_STD[0]


def random_affine(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image of the batch warped by its own small random rotation, scale, shear and shift."""
    n = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    angle = uniform(-12, 12) * math.pi / 180
    scale = uniform(0.9, 1.1)
    shear = uniform(-0.15, 0.15)
    shift_x = uniform(-2.5, 2.5) / 14  # pixels -> normalised [-1, 1] coordinates (28 px = 2 units)
    shift_y = uniform(-2.5, 2.5) / 14
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, shift_x], dim=1),
            torch.stack([sin, cos + shear * sin, shift_y], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@torch.no_grad()
def accuracy(model: LeNet5, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(x), batch):
        logits = model(normalize(x[start : start + batch]))
        correct += int((logits.argmax(1) == y[start : start + batch]).sum())
    return correct / len(x)


def train(data: Path, epochs: int, seed: int, batch_size: int = 64, lr: float = 3e-3) -> tuple[LeNet5, dict]:
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # float sums in one fixed order on this machine (not across CPUs: see the docstring)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)

    x, y = load_mnist_test(data)
    x_train, y_train = x[slice(*TRAIN_RANGE)], y[slice(*TRAIN_RANGE)]
    x_held, y_held = x[slice(*HELD_OUT_RANGE)], y[slice(*HELD_OUT_RANGE)]

    model = LeNet5()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total_loss = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            inputs = normalize(random_affine(x_train[index], generator))
            loss = F.cross_entropy(model(inputs), y_train[index], label_smoothing=0.05)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(index)
        if epoch % 5 == 4 or epoch == epochs - 1:
            print(
                f"epoch {epoch + 1:3d}/{epochs}  loss {total_loss / len(x_train):.4f}  "
                f"train {accuracy(model, x_train, y_train):.4f}  held-out {accuracy(model, x_held, y_held):.4f}  "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
    model.eval()
    record = {
        "weights": "MNIST",
        "architecture": "viewer.engine.zoo.LeNet5",
        "data": "MNIST test set (t10k), images 0-7999 for training; 8000-9999 held out",
        "held_out_range": list(HELD_OUT_RANGE),
        "held_out_accuracy": round(accuracy(model, x_held, y_held), 4),
        "train_accuracy": round(accuracy(model, x_train, y_train), 4),
        "normalization": {"mean": list(MNIST_MEAN), "std": list(MNIST_STD)},
        "augmentation": "random affine: rotation +-12 deg, scale 0.9-1.1, shear +-0.15, shift +-2.5 px",
        "optimizer": f"AdamW lr {lr} (one-cycle), weight decay 1e-4, batch {batch_size}, label smoothing 0.05",
        "seed": seed,
        "epochs": epochs,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return model, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "resources")
    args = parser.parse_args()

    model, record = train(args.data, args.epochs, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    # Plain float32 tensors only: the engine reads it back with weights_only=True.
    state = {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    torch.save(state, args.out / "lenet5_mnist.pt")
    (args.out / "lenet5_mnist.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"held-out accuracy (images {HELD_OUT_RANGE[0]}-{HELD_OUT_RANGE[1] - 1}): {record['held_out_accuracy']:.4f}")
    print(f"saved {args.out / 'lenet5_mnist.pt'} and lenet5_mnist.json ({record['training_seconds']} s)")


if __name__ == "__main__":
    main()
