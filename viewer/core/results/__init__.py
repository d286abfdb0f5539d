"""What jobs return and what the window holds of them: plain dataclasses of numbers, strings and numpy arrays.

The engine builds these; the GUI, the CLI and the exports read them. Nothing here holds a tensor, a module or a
PIL image, so every result can cross from the engine's process to the window's (issue 21). One module per
concept:

- :mod:`~viewer.core.results.prediction`: ``Prediction`` and its ``TopClass`` rows (the Predictions tab, top-k).
- :mod:`~viewer.core.results.summary`: ``Summary`` and its ``LayerNode`` tree (the layer picker, the totals).
- :mod:`~viewer.core.results.activation`: ``Activation`` of one layer, ``CaptureResult`` (with the mosaic).
- :mod:`~viewer.core.results.heatmap`: ``ClassHeatmap`` (the dense map) and ``HeatmapOnScreen`` (its screen copy).
- :mod:`~viewer.core.results.compare`: ``Comparison`` of several networks, its ``NetworkResult`` rows.
- :mod:`~viewer.core.results.explain`: ``Explanation`` of one method, ``ExplainSet`` of several.
- :mod:`~viewer.core.results.atlas`: ``Atlas`` of a folder (each channel's strongest images), its ``LayerAtlas``
  arrays, ``AtlasEntry`` rows and ``Unreadable`` files.
- :mod:`~viewer.core.results.unit`: ``UnitAttribution`` of one unit (deconvolution, guided backpropagation), its
  ``UnitMap`` pictures and the ``Unit`` itself.
- :mod:`~viewer.core.results.optimised`: ``OptimisedImage``, the image optimised to excite one channel.
- :mod:`~viewer.core.results.lecture`: ``ResNetTable`` (ResNet's Table 1) and its rows and cells.
- :mod:`~viewer.core.results.session`: the zoo and machine (``Registry``), the loaded model (``ModelInfo``),
  opened images (``ImageEntry``, ``OpenResult``) and what an export wrote (``ExportResult``).
"""
