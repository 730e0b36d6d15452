"""python -m pynn.serve model.pynn [--port 8501] [--name NAME] [--host 127.0.0.1]"""
import argparse
import os
import sys


def main(argv=None):
    from .app import DEFAULT_MAX_BODY_BYTES
    p = argparse.ArgumentParser(prog="python -m pynn.serve",
                                description="Serve a saved pynn model with TensorFlow Serving's "
                                            "REST API.")
    p.add_argument("model", help="a model saved with model.save(path)")
    p.add_argument("--port", type=int, default=8501, help="TCP port (default 8501, TF Serving's)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--name", help="model name in the URLs (default: the file name's stem)")
    p.add_argument("--backend", choices=("pynn", "onnxruntime"), default="pynn",
                   help="run predictions with pynn (default) or onnxruntime on the ONNX export")
    p.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
                   help=f"larger request bodies get a 400 (default {DEFAULT_MAX_BODY_BYTES})")
    p.add_argument("--threads", type=int, default=None,
                   help="concurrent predictions (default: the number of CPUs)")
    p.add_argument("--log-level", default="warning", help="uvicorn's log level")
    args = p.parse_args(argv)
    if not os.path.isfile(args.model):
        p.error(f"no model file at {args.model!r}")
    if args.max_body_bytes < 1:
        p.error(f"--max-body-bytes must be positive, got {args.max_body_bytes}")
    import pynn
    from . import serve
    try:
        model = pynn.load_model(args.model, compile=False)
    except (ValueError, OSError) as e:
        print(f"pynn.serve: cannot load {args.model!r}: {e}", file=sys.stderr)
        return 2
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    serve(model, name=name, host=args.host, port=args.port, backend=args.backend,
          max_body_bytes=args.max_body_bytes, threads=args.threads, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
