"""partprint trainer: ROI sampling (twin of src/source), training, ONNX export and model cards.

See docs/source-spec.md for the contract shared with the TypeScript side.
"""

__version__ = "0.1.0"
