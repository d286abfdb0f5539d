"""The Help menu's texts: the shortcuts, "The lecture in this app", About; and where the samples live.

Plain data and HTML, no widgets: the welcome screen and the Help menu read the same shortcut list, so they
never disagree.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from viewer.core.resources import bundled_path

__all__ = ["LECTURE_HTML", "SAMPLES", "SHORTCUTS", "Sample", "about_html", "resource_path", "shortcuts_html"]

# (keys, what they do), in the order a newcomer needs them.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+O", "open images or folders"),
    ("Ctrl+V", "paste an image, or the path of one"),
    ("drag and drop", "images or folders, anywhere on the window; a video plays live"),
    ("Space", "live video: freeze the frame as an image in the list / go on"),
    ("PgUp / PgDn", "previous / next image, from anywhere"),
    ("Delete", "remove the image selected in the strip"),
    ("Ctrl+1 … Ctrl+6", "Predictions, Activations, Architecture, Heatmap, Compare, Explain"),
    ("Ctrl+E", "export the top-k of every image (and heatmaps)"),
    ("Ctrl+0", "fit the image (or the diagram, when it has the focus)"),
    ("Esc", "cancel the running job"),
    ("F1", "this list"),
)


@dataclass(frozen=True)
class Sample:
    """A bundled sample image: its file in ``resources/``, a caption, and the network it is meant for."""

    filename: str
    caption: str
    model: str | None = None  # None: whatever ImageNet network is chosen


SAMPLES: tuple[Sample, ...] = (
    Sample("sample_coffee.jpg", "Espresso"),
    Sample("sample_chelsea.jpg", "Tabby cat"),
    Sample("sample_dog.jpg", "Dog, bicycle, truck"),
    # A digit means nothing to an ImageNet network: its sample switches to LeNet-5 (MNIST weights are bundled).
    Sample("sample_mnist_7.png", "MNIST digit (LeNet-5)", "lenet5"),
)


resource_path = bundled_path  # kept under the name the welcome screen imports


def shortcuts_html() -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(keys)}</b>&nbsp;&nbsp;</td><td>{html.escape(text)}</td></tr>"
        for keys, text in SHORTCUTS
    )
    return f"<table cellspacing='2'>{rows}</table>"


# Which view shows which of the lecture's networks and ideas (EE-559 "Networks for image classification").
LECTURE_HTML = """
<h3>The lecture in this app</h3>
<p>Pick the network in the <b>Model</b> list (grouped in the lecture's order); the tabs are
<b>Predictions</b>, <b>Activations</b>, <b>Architecture</b>, <b>Heatmap</b>, <b>Compare</b> and <b>Explain</b>
(Ctrl+1 … Ctrl+6). File › Samples opens the sample images at any time.</p>
<table cellspacing="4">
<tr><td><b>LeNet-5</b></td><td>Model › LeNet › lenet5 with its bundled MNIST weights; the welcome screen's digit
loads it. Activations shows the 6 then 16 feature maps; Architecture the conv/pool/fc stack.</td></tr>
<tr><td><b>AlexNet</b></td><td>Predictions with <i>Preprocess › Standardise (lecture)</i> and <i>Ten-crop TTA</i>
(Krizhevsky's four corners + centre and their mirrors, softmax outputs averaged; <i>Show crops</i> draws the
ten views). Activations › features.0 shows the 64 first-layer filters' responses.</td></tr>
<tr><td><b>VGG 11–19</b></td><td>Architecture: stacks of 3×3 convolutions, the MAC counts per block;
Activations for any layer.</td></tr>
<tr><td><b>Network in Network</b></td><td>Model › nin (random init: no published weights): Architecture shows the
mlpconv blocks (1×1 convolutions) and the global average pooling.</td></tr>
<tr><td><b>GoogLeNet</b></td><td>Architecture: one box per Inception module, double-click opens its four branches
merged by a concatenation (C); the auxiliary heads aux1/aux2 are drawn dashed, "training only", where they
branch off. <i>Left-to-right</i> (beside Fit) lays the tall network across the screen. The
<i>Inception (a) vs (b)</i> view under the diagram sets the naive module against the one with 1×1 reductions
(parameters and MACs from the real module's channels), and GoogLeNet's parameters against AlexNet's.</td></tr>
<tr><td><b>ResNet</b></td><td>Architecture: each block's skip (+), the 1×1-3×3-1×1 bottleneck with its projection
shortcut; resnet50 is torchvision's v1.5 (stride on the 3×3), resnet50_v1 He et al.'s original. A block's
tooltip gives the lecture's parameter formula beside the real count. Table 1 of the paper: the
<i>Table 1 (ResNet)</i> view under the diagram, the chosen network's column highlighted (or
<code>viewer summary --model resnet50 --lecture-table</code>).</td></tr>
<tr><td><b>ResNeXt</b></td><td>Architecture: select a block and press <i>Expand groups</i>: the grouped
convolution drawn as its 32 pathways, in a window with its own <i>Export…</i> (SVG or PNG).</td></tr>
<tr><td><b>Convolutionized networks, OverFeat</b></td><td>Heatmap: the fully-connected layers become convolutions,
one pass gives the class score at every position; <i>scales</i> and <i>offsets</i> are OverFeat's several scales
and stride-1 max-pooling offsets (type <i>overfeat</i> as the scales for the paper's six). Try it on the
dog-bicycle-truck sample with "bicycle" and "pickup". Architecture › <i>Convolutionized at</i> draws AlexNet's
or VGG's converted graph at the input size you choose.</td></tr>
<tr><td><b>The networks side by side</b></td><td>Compare: two to six networks on the same image, their top-k,
warm inference time, parameters, GMACs and published accuracy; <i>Accuracy vs cost chart…</i> places the whole zoo.
</td></tr>
<tr><td><b>What the network looks at</b></td><td>Explain: the convolutionized dense map beside Grad-CAM, occlusion
(Zeiler &amp; Fergus), gradient saliency and integrated gradients, for one class, in one colormap.</td></tr>
<tr><td><b>Test-time augmentation</b></td><td>The <i>Ten-crop TTA</i> box beside the model; a preset that does
not suit the chosen weights is marked, its tooltip says why.</td></tr>
</table>
"""


def about_html(versions: Mapping[str, str], device: str | None, weights_dir: str | None) -> str:
    """The About box: versions, the device used by Auto, and the folder where weights are cached."""
    rows = dict(versions)
    rows["device (Auto)"] = device or "loading…"
    rows["weights folder"] = weights_dir or "loading…"
    table = "".join(
        f"<tr><td>{html.escape(name)}</td><td><b>{html.escape(str(value))}</b></td></tr>"
        for name, value in rows.items()
    )
    return (
        "<h3>ConvNet Viewer</h3><p>Look inside image-classification networks: top-k, activations, "
        f"architecture, dense class heatmaps.</p><table>{table}</table>"
        "<p>Sample images: CC0 and public-domain photos, and an MNIST digit (CC BY-SA 3.0); "
        "see resources/README.md.</p>"
    )
