"""A TensorFlow-Serving-compatible REST server for pynn models (the [serve] extra:
Starlette + Uvicorn).

    python -m pynn.serve model.pynn --port 8501 --name my_model

    POST /v1/models/my_model:predict   {"instances": [...]} -> {"predictions": [...]}
                                       {"inputs": ...}      -> {"outputs": ...}
    GET  /v1/models/my_model           version status
    GET  /v1/models/my_model/metadata  the serving_default signature
    GET  /metrics                      Prometheus text: requests, latency histogram
    GET  /healthz                      {"status": "ok"}

Existing TF Serving clients work unchanged. Or from Python:
``pynn.serve.serve(model, name="m", port=8501)``."""
from .app import DEFAULT_MAX_BODY_BYTES, create_app  # noqa: F401


def serve(model, name="model", host="127.0.0.1", port=8501, backend="pynn",
          max_body_bytes=DEFAULT_MAX_BODY_BYTES, threads=None, log_level="warning"):
    """Serves `model` until interrupted (blocking)."""
    app = create_app(model, name, backend=backend, max_body_bytes=max_body_bytes, threads=threads)
    import uvicorn
    print(f"pynn.serve: model '{name}' ({backend}) at http://{host}:{port}/v1/models/{name}",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
