"""The job policy as data: for each job kind, whether it runs by itself or only when asked, which change of
input withdraws it, and its priority. One table, read in one place each: the runner takes the priorities
(:meth:`JobRunner.submit`), the state withdraws on a change of input (``AppState.input_changed``), and
``docs/gui.md`` shows :func:`policy_table` (a test keeps the two equal).

Plain Python and no Qt, so that the tests and the docs can read it without a window.

Why these rules:

- What the user waits for comes first: the top-k of the shown image (priority 0), then the views of the shown
  image (1), then everything else (2). The runner also lets a queued job of a better priority run between two
  steps of a running one (see ``jobs``), so a long comparison never holds the top-k of a new model back.
- A job whose result would be of an input no longer shown is withdrawn at its next step: it could only be
  dropped on delivery, and its time is better spent on what is shown.
- The expensive methods (occlusion, integrated gradients: hundreds of passes) and comparisons run only when the
  user asks, with their cost said beforehand; nothing starts them again after an image or model change.
- Exports are never withdrawn: they write what they were given, which the user asked for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from viewer.gui.jobs.tickets import JobKind

__all__ = ["POLICY", "Change", "JobPolicy", "Start", "policy_table", "priority", "withdrawn_on"]


class Change(str, enum.Enum):
    """A change of what the window shows, after which some jobs compute for an input that is gone."""

    IMAGE = "image"  # another image is shown (or none)
    MODEL = "model"  # another network, weights or device is chosen
    NETWORK = "network"  # another network (not only other weights or device): its graph is another one


class Start(str, enum.Enum):
    """Who starts a job."""

    BY_ITSELF = "by itself"  # the state keeps its result current for the shown image and model
    WHEN_SHOWN = "by itself, when its tab is shown"  # kept current only while somebody looks at it
    WHEN_ASKED = "when asked"  # a click, a key, a menu; never again by itself


@dataclass(frozen=True)
class JobPolicy:
    """How one kind of job is run; see the module docstring."""

    start: Start
    priority: int  # 0 first; equal priorities run in submission order
    withdrawn_on: frozenset[Change]
    what: str  # one line for the docs' table

    @property
    def superseded_by(self) -> str:
        return "nothing (every drop counts)" if self is POLICY[JobKind.OPEN] else "a newer job of its kind"


_SHOWN = frozenset({Change.IMAGE, Change.MODEL})  # of the shown image and model
_MODEL = frozenset({Change.MODEL})
_NETWORK = frozenset({Change.NETWORK})
_NEVER: frozenset[Change] = frozenset()

POLICY: dict[JobKind, JobPolicy] = {
    JobKind.REGISTRY: JobPolicy(Start.BY_ITSELF, 0, _NEVER, "import torch, read the model zoo (at launch)"),
    JobKind.OPEN: JobPolicy(Start.WHEN_ASKED, 0, _NEVER, "read dropped, opened or pasted images"),
    JobKind.MODEL: JobPolicy(Start.BY_ITSELF, 0, _MODEL, "build the chosen model, download its weights"),
    JobKind.CLASSIFY: JobPolicy(Start.BY_ITSELF, 0, _SHOWN, "top-k of the shown image"),
    # One in flight: the live state sends the newest frame when the last one's top-k is back (never a queue).
    JobKind.LIVE: JobPolicy(Start.WHEN_ASKED, 0, _MODEL, "top-k of the newest camera or video frame"),
    JobKind.ACTIVATIONS: JobPolicy(Start.BY_ITSELF, 1, _SHOWN, "capture the chosen layers"),
    JobKind.ACTIVATION_GRID: JobPolicy(Start.BY_ITSELF, 1, _SHOWN, "draw a layer's channel mosaic"),
    JobKind.HEATMAP: JobPolicy(Start.BY_ITSELF, 1, _SHOWN, "dense class map, once one was asked for"),
    JobKind.EXPLAIN: JobPolicy(Start.WHEN_SHOWN, 1, _SHOWN, "dense map, Grad-CAM, saliency of one class"),
    JobKind.GRAPH_LAYOUT: JobPolicy(Start.WHEN_ASKED, 1, _NETWORK, "lay the graph out with other blocks open"),
    JobKind.GRAPH_GROUPS: JobPolicy(Start.WHEN_ASKED, 1, _NETWORK, "ResNeXt's groups as pathways"),
    JobKind.GRAPH_CONVOLUTIONIZED: JobPolicy(
        Start.WHEN_ASKED, 1, _NETWORK, "the convolutionized graph at the size asked for (meta device)"
    ),
    JobKind.LECTURE_TABLE: JobPolicy(Start.WHEN_ASKED, 1, _NETWORK, "ResNet's Table 1 from the five ResNets' graphs"),
    JobKind.SUMMARY: JobPolicy(Start.BY_ITSELF, 2, _MODEL, "the layer table (meta device)"),
    JobKind.GRAPH: JobPolicy(Start.BY_ITSELF, 2, _NETWORK, "trace the data-flow graph (meta device)"),
    JobKind.EXPLAIN_COSTLY: JobPolicy(Start.WHEN_ASKED, 2, _SHOWN, "occlusion or integrated gradients"),
    JobKind.COMPARE: JobPolicy(Start.WHEN_ASKED, 2, frozenset({Change.IMAGE}), "the image through 2–6 networks"),
    JobKind.ZOO: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "the accuracy-versus-cost chart's points"),
    JobKind.ZOO_LATENCY: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "measure the chart networks' latency"),
    JobKind.ATLAS: JobPolicy(
        Start.BY_ITSELF,
        2,
        _MODEL,
        "a layer's top patches per channel: the folder's index read by itself; a pass over the folder only when "
        "asked (Dataset folder…, Index this layer)",
    ),
    JobKind.ATLAS_PATCHES: JobPolicy(Start.BY_ITSELF, 1, _MODEL, "cut the selected channel's top patches"),
    JobKind.ATLAS_SHEET: JobPolicy(Start.BY_ITSELF, 2, _MODEL, "a layer's mosaic of every channel's best patch"),
    JobKind.OPTIMISE: JobPolicy(Start.WHEN_ASKED, 2, _MODEL, "the image optimised to excite a channel"),
    JobKind.UNIT: JobPolicy(Start.WHEN_ASKED, 1, _SHOWN, "deconvolution and guided backprop of a clicked unit"),
    JobKind.EXPORT: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "File › Export all"),
    JobKind.EXPORT_PREDICTIONS: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "a tab's Export…"),
    JobKind.EXPORT_ACTIVATIONS: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "a tab's Export…"),
    JobKind.EXPORT_HEATMAP: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "a tab's Export…"),
    JobKind.EXPORT_EXPLANATION: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "a tab's Export…"),
    JobKind.EXPORT_CHANNEL: JobPolicy(Start.WHEN_ASKED, 2, _NEVER, "a channel view's Export…"),
}


def priority(kind: JobKind) -> int:
    return POLICY[kind].priority


def withdrawn_on(change: Change) -> list[JobKind]:
    """The kinds whose queued or running jobs a ``change`` withdraws, in the table's order."""
    return [kind for kind, policy in POLICY.items() if change in policy.withdrawn_on]


def policy_table() -> str:
    """The policy as the Markdown table of ``docs/gui.md``."""
    rows = [
        "| Job | What | Starts | Superseded by | Withdrawn when | Priority |",
        "|---|---|---|---|---|---|",
    ]
    for kind, policy in POLICY.items():
        withdrawn = " or ".join(f"the {change.value} changes" for change in Change if change in policy.withdrawn_on)
        rows.append(
            f"| `{kind.value}` | {policy.what} | {policy.start.value} | {policy.superseded_by} "
            f"| {withdrawn or 'never'} | {policy.priority} |"
        )
    return "\n".join(rows)
