"""The engine's jobs: what a job runner calls, by name, with plain arguments, and the models they run on.

Each job adapts arguments that can cross a process boundary (an ``ImageEntry``, options, names) to one engine
call and returns a result of :mod:`viewer.core.results`; long ones are generators that yield ``Progress``
(:mod:`viewer.core.progress`). A job that names a model gets it as ``loaded=`` (or ``load=``, a
:class:`~viewer.engine.jobs.models.ModelLoader`) from the runner's :class:`~viewer.engine.jobs.models.ModelCache`.
Importing this package imports no torch: the jobs import the engine when they first run.

- :mod:`~viewer.engine.jobs.session`: the zoo and the machine (the first job), opened images, the model's info.
- :mod:`~viewer.engine.jobs.analysis`: top-k, the layer tree, activations, the dense heatmap.
- :mod:`~viewer.engine.jobs.architecture`: the graph, its drawing, the lecture's table and convolutionized graph.
- :mod:`~viewer.engine.jobs.compare`: Compare, Explain (and one unit's deconvolution), the accuracy-versus-cost chart.
- :mod:`~viewer.engine.jobs.atlas`: each channel's strongest images over a folder (a long job).
- :mod:`~viewer.engine.jobs.optimise`: the image optimised to excite one channel (a long job).
- :mod:`~viewer.engine.jobs.live`: the top-k of one camera or video frame (the live view's newest).
- :mod:`~viewer.engine.jobs.exports`: the files of Export all and of each tab.
- :mod:`~viewer.engine.jobs.models`: the cache of built models and the loader of a job's models.
- :mod:`~viewer.engine.jobs.images`: an ``ImageEntry``'s picture for the engine, made once.

``JOBS`` names every job function; the window submits a :class:`~viewer.core.job_names.JobName` (a ``str``).
"""

from __future__ import annotations

from collections.abc import Callable

from viewer.core.job_names import JobName
from viewer.engine.jobs import analysis, architecture, atlas, compare, exports, live, optimise, session

__all__ = ["JOBS", "job"]

JOBS: dict[str, Callable[..., object]] = {
    JobName.LOAD_REGISTRY: session.load_registry,
    JobName.OPEN_IMAGES: session.open_images,
    JobName.MODEL_INFO: session.model_info,
    JobName.CLASSIFY: analysis.classify,
    JobName.SUMMARY: analysis.summary,
    JobName.ACTIVATIONS: analysis.activations,
    JobName.ACTIVATIONS_WITH_GRID: analysis.activations_with_grid,
    JobName.ACTIVATION_GRID: analysis.activation_grid,
    JobName.HEATMAP: analysis.heatmap,
    JobName.HEATMAP_FOR_SCREEN: analysis.heatmap_for_screen,
    JobName.GRAPH: architecture.graph,
    JobName.GRAPH_LAYOUT: architecture.graph_layout,
    JobName.GRAPH_GROUPS: architecture.graph_groups,
    JobName.CONVOLUTIONIZED_GRAPH: architecture.convolutionized_graph,
    JobName.LECTURE_TABLE: architecture.lecture_table,
    JobName.COMPARE_NETWORKS: compare.compare_networks,
    JobName.EXPLAIN_METHODS: compare.explain_methods,
    JobName.EXPORT_EXPLANATION: compare.export_explanation,
    JobName.ZOO: compare.zoo,
    JobName.MEASURE_ZOO: compare.measure_zoo,
    JobName.EXPORT_HEATMAP: exports.export_heatmap,
    JobName.EXPORT_ALL: exports.export_all,
    JobName.EXPORT_PREDICTION: exports.export_prediction,
    JobName.EXPORT_ACTIVATION: exports.export_activation,
    JobName.ATLAS: atlas.atlas,
    JobName.ATLAS_PATCHES: atlas.atlas_patches,
    JobName.ATLAS_SHEET: atlas.atlas_sheet,
    JobName.UNIT_ATTRIBUTION: compare.unit_attribution,
    JobName.OPTIMISED_IMAGE: optimise.optimised_image,
    JobName.EXPORT_PICTURES: exports.export_pictures,
    JobName.LIVE_FRAME: live.live_frame,
}


def job(name: str) -> Callable[..., object]:
    """The job function called ``name``; a ``KeyError`` that says so for a name the table lacks."""
    try:
        return JOBS[JobName(name)]
    except ValueError:
        raise KeyError(f"no job is called {name!r}") from None
