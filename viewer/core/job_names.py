"""The names of the engine's jobs: what the window submits (with plain arguments) instead of a function.

The engine's table ``viewer.engine.jobs.JOBS`` maps each name to its function; the window never imports those
functions, so a job can run in another process (issue 21). A ``str`` enum: each member is its own key.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ENGINE_RSS_BYTES", "LOADED_MODELS", "LOADED_MODEL_BYTES", "QUERY_PRIORITY", "JobName"]

# The engine's own queries: answered by its scheduler, not by a job of the table (a job cannot see the model cache).
# ``loaded_models``: the keys (``ModelChoice``) of the models cached in the engine, least recently used first.
LOADED_MODELS = "engine.loaded_models"
# ``loaded_model_bytes``: the bytes of those models' parameters and buffers (the soak's "held by design").
LOADED_MODEL_BYTES = "engine.loaded_model_bytes"
# ``engine_rss_bytes``: the engine process's resident memory, after its allocator gave back what it held free (the
# soak's memory is the window's and the engine's).
ENGINE_RSS_BYTES = "engine.rss_bytes"
# Better than every job's priority (``viewer.gui.jobs.policy``): a query is answered between two steps of a job.
QUERY_PRIORITY = -1_000_000


class JobName(str, Enum):
    """One member per job function of ``viewer.engine.jobs.JOBS``."""

    LOAD_REGISTRY = "load_registry"
    OPEN_IMAGES = "open_images"
    MODEL_INFO = "model_info"
    CLASSIFY = "classify"
    SUMMARY = "summary"
    ACTIVATIONS = "activations"
    ACTIVATIONS_WITH_GRID = "activations_with_grid"
    ACTIVATION_GRID = "activation_grid"
    HEATMAP = "heatmap"
    HEATMAP_FOR_SCREEN = "heatmap_for_screen"
    GRAPH = "graph"
    GRAPH_LAYOUT = "graph_layout"
    GRAPH_GROUPS = "graph_groups"
    CONVOLUTIONIZED_GRAPH = "convolutionized_graph"
    LECTURE_TABLE = "lecture_table"
    COMPARE_NETWORKS = "compare_networks"
    EXPLAIN_METHODS = "explain_methods"
    EXPORT_EXPLANATION = "export_explanation"
    ZOO = "zoo"
    MEASURE_ZOO = "measure_zoo"
    EXPORT_HEATMAP = "export_heatmap"
    EXPORT_ALL = "export_all"
    EXPORT_PREDICTION = "export_prediction"
    EXPORT_ACTIVATION = "export_activation"
    ATLAS = "atlas"
    ATLAS_PATCHES = "atlas_patches"
    ATLAS_SHEET = "atlas_sheet"
    UNIT_ATTRIBUTION = "unit_attribution"
    OPTIMISED_IMAGE = "optimised_image"
    EXPORT_PICTURES = "export_pictures"
    LIVE_FRAME = "live_frame"

    def __str__(self) -> str:
        return self.value
