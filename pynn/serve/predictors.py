"""What runs a prediction: pynn's own engine, or onnxruntime on the model's ONNX
export (for comparison, in the same server). Both release the GIL while they
compute, so requests run in parallel on the server's thread pool."""
import numpy as np



class PynnPredictor:
    backend = "pynn"

    def __init__(self, model):
        self.model = model

    def predict(self, xs):
        n = xs[0].shape[0]
        # one batch of the request's size: the engine's single-replay fast path
        out = self.model.predict(xs if len(xs) > 1 else xs[0], batch_size=max(1, min(n, 1024)),
                                 verbose=0)
        return list(out) if isinstance(out, list) else [out]


class OnnxRuntimePredictor:
    backend = "onnxruntime"

    def __init__(self, model, intra_op_threads=1):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError("--backend onnxruntime needs onnxruntime: pip install "
                              "'pynn-dl[onnx]'") from None
        from ..export.onnx import build_onnx
        options = ort.SessionOptions()
        # parallelism comes from concurrent requests, as with the pynn backend
        options.intra_op_num_threads = intra_op_threads
        self.session = ort.InferenceSession(build_onnx(model).SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        # the ONNX graph is the numeric part; the model's preprocessing runs here first
        self.host_stage = getattr(model, "_host_stage", None)

    def predict(self, xs):
        if self.host_stage is not None:
            xs = [np.asarray(x, np.float32) for x in self.host_stage.run(xs)]
        return self.session.run(None, dict(zip(self.input_names, xs)))
