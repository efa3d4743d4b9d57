"""The `serve` subcommand: parse its arguments, load the model once, run the server."""

import argparse
import os
import sys

from keras_mmgan.serve.app import DEFAULT_MAX_REQUEST_BYTES
from keras_mmgan.serve.app import create_app


def build_parser(prog="keras-mmgan serve"):
    """The `serve` subcommand's argument parser.

    Args:
        prog: the program name shown in usage and errors.

    Returns:
        An `argparse.ArgumentParser`.

    Example:

    >>> build_parser().parse_args(["model.keras"]).port
    8000
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a saved keras_mmgan model as a web demo with a JSON API "
        "(GET /info, POST /generate).",
    )
    parser.add_argument("model", metavar="MODEL.keras", help="a model saved with model.save")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--max-samples", type=int, default=64,
                        help="the most images one request may ask for (default 64)")
    parser.add_argument("--max-request-mb", type=float,
                        default=DEFAULT_MAX_REQUEST_BYTES / (1024 * 1024),
                        help="the largest request body, uploads included (default 8)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of start-up errors")
    return parser


def load(model_path):
    """Loads a saved model for the demo, with a one-line error for the usual mistakes.

    Args:
        model_path: a `.keras` file written by `model.save`.

    Returns:
        The model.

    Raises:
        ValueError: the file is missing, not a `.keras` file, or not a
            keras_mmgan model.

    Example:

    ```python
    model = load("runs/text2image/text2image.keras")
    ```
    """
    from keras_mmgan import saving
    from keras_mmgan.serve.service import model_family

    if not os.path.isfile(model_path):
        raise ValueError(f"MODEL.keras: no such file: {model_path}")
    if not model_path.endswith(".keras"):
        raise ValueError(
            f"MODEL.keras must be a .keras file written by model.save; got {model_path}"
        )
    try:
        model = saving.load_model(model_path)
    except Exception as error:
        raise ValueError(f"{model_path} could not be loaded as a Keras model: {error}") from error
    try:
        model_family(model)
    except TypeError as error:
        raise ValueError(f"{model_path}: {error}") from None
    return model


def run(model_path, host="127.0.0.1", port=8000, max_samples=64,
        max_request_bytes=DEFAULT_MAX_REQUEST_BYTES):
    """Loads a model once and serves the demo until interrupted (Ctrl+C).

    Args:
        model_path: a `.keras` file written by `model.save`.
        host: the address to listen on; `127.0.0.1` keeps it on this machine,
            `0.0.0.0` opens it to the network (e.g. a classroom).
        port: the port.
        max_samples: the most images one request may ask for.
        max_request_bytes: the largest request body.

    Returns:
        None, when the server stops.

    Example:

    ```python
    from keras_mmgan import serve
    serve.run("text2image.keras", port=8000)     # then open http://127.0.0.1:8000
    ```
    """
    import uvicorn

    model = load(model_path)
    app = create_app(model, max_samples=max_samples, max_request_bytes=max_request_bytes)
    family = app.state.service.family
    print(f"Serving the {family} model {model_path} at http://{host}:{port} (Ctrl+C to stop)",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main(argv=None):
    """The whole `keras-mmgan serve` subcommand: arguments, loading, serving.

    A user's mistake (missing file, not a keras_mmgan model, a bad option)
    prints one line and returns 2; `--debug` shows the traceback.

    Args:
        argv: the arguments after `serve` (`sys.argv[2:]` under `keras-mmgan`);
            `sys.argv[1:]` when `None`.

    Returns:
        The exit status.

    Example:

    ```python
    from keras_mmgan import serve
    serve.main(["text2image.keras", "--port", "8000"])
    ```
    """
    args = build_parser().parse_args(argv)
    try:
        if not 0 < args.port < 65536:
            raise ValueError(f"--port must be in 1..65535; got {args.port}")
        if args.max_samples < 1:
            raise ValueError(f"--max-samples must be a positive int; got {args.max_samples}")
        if not args.max_request_mb > 0:
            raise ValueError(f"--max-request-mb must be positive; got {args.max_request_mb}")
        run(args.model, args.host, args.port, args.max_samples,
            int(args.max_request_mb * 1024 * 1024))
    except (ValueError, OSError) as error:
        if args.debug:
            raise
        print(f"keras-mmgan serve: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
