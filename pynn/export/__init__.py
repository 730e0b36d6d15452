"""Model export. `model.export(path, format="onnx")` (Keras 3's name) lands here.

The `onnx` package is an optional extra (`pip install pynn[onnx]`); it is
imported only when an export runs."""

FORMATS = ("onnx", "keras")


def export_model(model, filepath, format="onnx", opset=None, verbose=False, **kwargs):
    """Writes `model` to `filepath` in `format`; returns the path written."""
    if kwargs:  # e.g. Keras' input_signature: pynn exports the model's own input shapes
        raise TypeError(f"Model.export: unexpected argument(s) {sorted(kwargs)}; pynn's export "
                        f"takes filepath, format='onnx', opset=17 and verbose")
    if not isinstance(format, str) or format.lower() not in FORMATS:
        raise ValueError(f"Model.export: format must be one of {list(FORMATS)}, got {format!r} "
                         f"(pynn's own format is model.save(path))")
    if format.lower() == "keras":  # a file Keras 3 loads (keras.saving.load_model)
        if opset is not None:
            raise TypeError("Model.export: opset applies to format='onnx' only")
        from .keras_file import save_keras
        path = save_keras(model, filepath)
        if verbose:
            print(f"Saved Keras 3 model to {path}")
        return path
    from .onnx import export_onnx, DEFAULT_OPSET
    path = export_onnx(model, filepath, opset=DEFAULT_OPSET if opset is None else opset)
    if verbose:
        print(f"Saved ONNX model to {path}")
    return path
