"""The web demo: a Starlette app with one HTML page and a JSON API, built around a loaded model.

Routes:

- `GET /` — the page (`page.html`): the input the model's family takes, a seed, a
  number of samples, a latent walk, the grid and a PNG download;
- `GET /info` — JSON: family, latent_dim, labels, vocabulary, image shapes, limits;
- `POST /generate` — a JSON object of fields (see `DemoService`) -> the grid as
  `image/png` (headers `X-Num-Samples`, `X-Grid-Columns`, `X-Elapsed-Ms`), or with
  `"format": "base64"` a JSON object `{"png_base64": ..., "num_samples": ..., ...}`.

A refused request gets a 4xx and `{"error": message}`; anything unexpected a 500 with
one line, never a stack trace. The model is loaded once; generation runs in
Starlette's thread pool, one model call at a time.
"""

import base64
import importlib.resources
import json

from keras_mmgan.serve.service import DemoService
from keras_mmgan.serve.service import RequestError

DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024
# An oversized body is read (and dropped) up to this size before the 413, see _read_json.
DRAIN_BYTES = 64 * 1024 * 1024


def create_app(model, max_samples=64, max_request_bytes=DEFAULT_MAX_REQUEST_BYTES):
    """Builds the web demo's ASGI app around a loaded model.

    Args:
        model: a `keras_mmgan.models` model (e.g. from `keras.saving.load_model`).
        max_samples: the most images one request may ask for (more is a 413).
        max_request_bytes: the largest request body accepted (larger is a 413);
            base64 makes an uploaded file a third larger.

    Returns:
        A `starlette.applications.Starlette` app; its `state.service` is the
        `DemoService`. Serve it with uvicorn, or call it with
        `starlette.testclient.TestClient`.

    Example:

    ```python
    import keras, uvicorn
    from keras_mmgan import serve
    app = serve.create_app(keras.saving.load_model("text2image.keras"))
    uvicorn.run(app, host="127.0.0.1", port=8000)
    ```
    """
    # Imported here: `keras_mmgan.serve` checks for them first and names the extra.
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse
    from starlette.responses import JSONResponse
    from starlette.responses import Response
    from starlette.routing import Route

    service = DemoService(model, max_samples=max_samples)
    page = importlib.resources.files("keras_mmgan.serve").joinpath("page.html").read_text("utf-8")

    async def index(request):
        return HTMLResponse(page)

    async def info(request):
        return JSONResponse(service.info())

    async def generate(request):
        fields = await _read_json(request, max_request_bytes)
        # Generation and PNG encoding both run in the thread pool, off the event loop.
        result, png = await run_in_threadpool(_generate_png, service, fields)
        if fields.get("format", "png") == "base64":
            body = dict(result.summary(), png_base64=base64.b64encode(png).decode("ascii"))
            return JSONResponse(body)
        summary = result.summary()
        headers = {
            "X-Num-Samples": str(summary["num_samples"]),
            "X-Grid-Columns": str(summary["num_columns"]),
            "X-Elapsed-Ms": str(summary["elapsed_ms"]),
            "X-Unknown-Words": " ".join(summary["unknown_words"]),
            "Cache-Control": "no-store",
        }
        return Response(png, media_type="image/png", headers=headers)

    async def refused(request, error):
        return JSONResponse({"error": error.message}, status_code=error.status)

    async def failed(request, error):
        # One line for the client; the server's log has the rest.
        return JSONResponse(
            {"error": f"the server failed to answer this request ({type(error).__name__})"},
            status_code=500,
        )

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/info", info, methods=["GET"]),
            Route("/generate", generate, methods=["POST"]),
        ],
        exception_handlers={RequestError: refused, Exception: failed},
    )
    app.state.service = service
    return app


def _generate_png(service, fields):
    result = service.generate(fields)
    return result, result.png


async def _read_json(request, max_request_bytes):
    """Reads the body as a JSON object; a body over `max_request_bytes` is a 413.

    The body streams in and is never held beyond `max_request_bytes`. The rest of
    an oversized body is read and dropped, up to `DRAIN_BYTES`, so that the client
    (a browser, `requests`) receives the 413 instead of a reset connection.
    """
    from starlette.requests import ClientDisconnect

    limit_message = (
        f"the request body is larger than the {max_request_bytes / (1024 * 1024):g} MB accepted "
        "(images are resized to the model's size: send a smaller file)"
    )
    body, received = bytearray(), 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > DRAIN_BYTES:
                break
            if received <= max_request_bytes:
                body.extend(chunk)
    except ClientDisconnect:
        raise RequestError("the client closed the connection before sending the body") from None
    if received > max_request_bytes:
        raise RequestError(limit_message, 413)
    if not body:
        return {}
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(
            f"the body must be a JSON object of fields; it is not JSON ({error})"
        ) from None
    if not isinstance(fields, dict):
        raise RequestError(
            f"the body must be a JSON object of fields; got a JSON {type(fields).__name__}"
        )
    return fields
