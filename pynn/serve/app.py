"""The ASGI application: TF Serving's REST routes, /metrics and /healthz on Starlette.

Predictions run on a bounded thread pool (anyio's worker threads) so the event
loop keeps accepting requests; the engine releases the GIL while it computes.
Every refusal is {"error": "..."} with 400 (404 for an unknown model or route):
a bad request never reaches the model, and never turns into a 500."""
import json
import time

from . import tfserving
from .metrics import Metrics

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


def _starlette():
    try:
        import anyio
        import starlette  # noqa: F401
    except ImportError:
        raise ImportError("pynn.serve needs Starlette and Uvicorn: pip install 'pynn[serve]' "
                          "(or pip install starlette uvicorn)") from None
    return anyio


def _json(payload, status=200):
    from starlette.responses import Response
    # allow_nan: a model output of NaN is written as TF Serving writes it
    return Response(json.dumps(payload, separators=(",", ":")), status_code=status,
                    media_type="application/json")


async def _read_body(request, limit):
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared = int(declared)
        except ValueError:
            raise tfserving.BadRequest(f"Invalid Content-Length header {declared!r}") from None
        if declared > limit:
            raise tfserving.BadRequest(f"Request body of {declared} bytes exceeds this server's "
                                       f"limit of {limit} bytes (--max-body-bytes)")
    chunks, size = [], 0
    async for chunk in request.stream():  # a chunked body is counted as it arrives
        size += len(chunk)
        if size > limit:
            raise tfserving.BadRequest(f"Request body exceeds this server's limit of {limit} "
                                       f"bytes (--max-body-bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(model, name, backend="pynn", max_body_bytes=DEFAULT_MAX_BODY_BYTES, threads=None):
    """The Starlette app serving `model` (a built Sequential / functional pynn model)
    as TF Serving serves model `name`."""
    anyio = _starlette()
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from .predictors import OnnxRuntimePredictor, PynnPredictor

    if not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise ValueError(f"pynn.serve: max_body_bytes must be a positive integer, got "
                         f"{max_body_bytes!r}")
    if backend not in ("pynn", "onnxruntime"):
        raise ValueError(f"pynn.serve: backend must be 'pynn' or 'onnxruntime', got {backend!r}")
    sig = tfserving.Signature(model)
    predictor = PynnPredictor(model) if backend == "pynn" else OnnxRuntimePredictor(model)
    metrics = Metrics(name, backend)
    limiter = {}  # created inside the event loop (anyio requires it)

    def pool():
        if "l" not in limiter:
            import os
            limiter["l"] = anyio.CapacityLimiter(threads or os.cpu_count() or 1)
        return limiter["l"]

    async def models(request):
        start, route_name, instances = time.perf_counter(), "model", 0
        try:
            action, version = tfserving.route(request.path_params["rest"], name)
            route_name = action
            wanted = "POST" if action == "predict" else "GET"
            if request.method != wanted:
                response = _json({"error": f"{request.method} is not allowed here; {action} takes "
                                           f"{wanted}"}, 405)
            elif action == "status":
                response = _json(tfserving.status())
            elif action == "metadata":
                response = _json(tfserving.metadata(name, sig))
            else:
                body = await _read_body(request, max_body_bytes)
                xs, row = tfserving.parse_predict(body, sig)
                try:
                    outs = await anyio.to_thread.run_sync(predictor.predict, xs, limiter=pool())
                except (ValueError, TypeError) as e:  # the engine refused the values
                    raise tfserving.BadRequest(str(e)) from None
                instances = int(xs[0].shape[0])
                response = _json(tfserving.format_predictions(outs, sig, row))
        except tfserving.BadRequest as e:
            response = _json({"error": str(e)}, e.status)
        metrics.observe(route_name, response.status_code, time.perf_counter() - start, instances)
        return response

    async def metrics_endpoint(request):
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    async def health(request):
        return _json({"status": "ok", "model": name, "backend": backend})

    async def http_error(request, exc):
        return _json({"error": f"{exc.detail}: {request.method} {request.url.path}"},
                     exc.status_code)

    async def internal_error(request, exc):  # a server bug, still answered in TF's format
        return _json({"error": f"Internal error: {type(exc).__name__}: {exc}"}, 500)

    app = Starlette(routes=[Route("/v1/models/{rest:path}", models, methods=["GET", "POST"]),
                            Route("/metrics", metrics_endpoint, methods=["GET"]),
                            Route("/healthz", health, methods=["GET"])],
                    exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.state.signature, app.state.metrics, app.state.predictor = sig, metrics, predictor
    return app
