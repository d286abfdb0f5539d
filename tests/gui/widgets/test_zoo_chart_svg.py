"""The accuracy-versus-cost chart's SVG is vector and shows what its PNG shows: each point a <circle> in the same
place and of the same size (the SVG rendered by QtSvg and compared with the PNG pixel by pixel), no embedded image,
and no Qt platform warning on the way."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtSvg import QSvgRenderer

from viewer.core.lecture.zoo import ZooPoint
from viewer.gui.widgets.compare.chart import family_colours, render_chart

SVG = "{http://www.w3.org/2000/svg}"


def _point(name: str, family: str, acc1: float, gmacs: float, params: int, lecture: bool = False) -> ZooPoint:
    return ZooPoint(name, family, acc1, None, gmacs, params, lecture)


# The lecture's networks at their torchvision numbers: AlexNet alone at the bottom (it fell below the axis in the
# old SVG), three VGGs (drawn as grids of small circles there), and single points of other families.
POINTS = [
    _point("alexnet", "AlexNet", 56.52, 0.71, 61_100_840, lecture=True),
    _point("vgg11", "VGG", 69.02, 7.61, 132_863_336),
    _point("vgg16", "VGG", 71.59, 15.47, 138_357_544, lecture=True),
    _point("vgg19", "VGG", 72.38, 19.63, 143_667_240, lecture=True),
    _point("googlenet", "GoogLeNet / Inception", 69.78, 1.5, 6_624_904, lecture=True),
    _point("resnet50", "ResNet", 80.86, 4.09, 25_557_032, lecture=True),
    _point("resnext101_64x4d", "ResNeXt", 83.25, 15.46, 83_455_272),
]


def _array(image: QtGui.QImage) -> np.ndarray:
    """An RGB uint8 array of ``image``."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def _svg_raster(path: Path, width: int, height: int) -> np.ndarray:
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()
    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    renderer.render(painter)
    painter.end()
    return _array(image)


def _mask(picture: np.ndarray, colour: str) -> np.ndarray:
    """The pixels of a point's fill: the family colour at the chart's opacity (0xB0) over white; the legend's
    swatch (opaque) and overlaps with other colours are not."""
    rgb = np.array(QtGui.QColor(colour).getRgb()[:3], float)
    alpha = 0xB0 / 255
    target = rgb * alpha + 255 * (1 - alpha)
    return np.abs(picture.astype(float) - target).max(axis=2) <= 12


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory, qapp) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("chart")
    return render_chart(POINTS, folder / "zoo.png"), render_chart(POINTS, folder / "zoo.svg")


def test_the_svg_is_vector(exports: tuple[Path, Path]) -> None:
    _, svg = exports
    root = ET.parse(svg).getroot()
    assert not list(root.iter(f"{SVG}image"))
    circles = list(root.iter(f"{SVG}circle"))
    families = {point.family for point in POINTS}
    assert len(circles) == len(POINTS) + len(families)  # the points, then the legend's swatches
    texts = {element.text for element in root.iter(f"{SVG}text")}
    assert {"alexnet", "vgg16", "ImageNet top-1 accuracy, % (torchvision)", "GMACs (log scale)"} <= texts
    assert {"60", "70", "80"} <= texts  # the y axis's tick labels
    assert list(root.iter(f"{SVG}line"))  # axes, ticks and grid


def test_the_svg_shows_the_points_where_the_png_does(exports: tuple[Path, Path]) -> None:
    png_path, svg_path = exports
    png = _array(QtGui.QImage(str(png_path)))
    svg = _svg_raster(svg_path, png.shape[1], png.shape[0])
    for family, colour in family_colours(POINTS).items():
        in_png, in_svg = _mask(png, colour), _mask(svg, colour)
        assert in_png.sum() > 20, family
        # Same place: the centroids of the family's points within 2 pixels; same size and shape: the fills overlap.
        centre_png = np.argwhere(in_png).mean(axis=0)
        centre_svg = np.argwhere(in_svg).mean(axis=0)
        assert np.abs(centre_png - centre_svg).max() <= 2.0, (family, centre_png, centre_svg)
        overlap = (in_png & in_svg).sum() / (in_png | in_svg).sum()
        assert overlap >= 0.8, (family, overlap)


def test_no_platform_warning(tmp_path: Path) -> None:
    """A fresh process, as ``viewer models --chart`` runs (Qt warns about a platform's limits once per process)."""
    script = (
        "import sys; from viewer.core.lecture.zoo import ZooPoint; "
        "from viewer.gui.widgets.compare.chart import render_chart; "
        "render_chart([ZooPoint('alexnet', 'AlexNet', 56.5, None, 0.71, 61100840, True)], sys.argv[1])"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "one.svg")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "propagateSizeHints" not in done.stderr
    assert (tmp_path / "one.svg").exists()
