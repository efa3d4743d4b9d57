"""A live web demo of any saved model of the library: `keras-mmgan serve MODEL.keras`.

A Starlette app (`create_app`) with one HTML page and a JSON API that other programs
can call (`GET /info`, `POST /generate`), served by uvicorn (`run`, `main`). The page
offers the input the model's family takes: a caption (text-to-image), a label
(conditional), an image upload (Pix2Pix, CycleGAN both ways, MultimodalPix2Pix), or only
a button (unconditional); a seed, a number of samples, a latent walk between two seeds,
and the grid as a PNG to download. See `docs/serve.md`.

The web packages come with the `serve` extra (`pip install 'keras-mmgan[serve]'`);
`import keras_mmgan` does not import them.
"""

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised by test_missing_web_packages
    raise ImportError(
        f"keras_mmgan.serve needs the web packages Starlette and uvicorn ({error}); "
        "install them with: pip install 'keras-mmgan[serve]'"
    ) from error

from keras_mmgan.serve.app import create_app
from keras_mmgan.serve.main import main
from keras_mmgan.serve.main import run
from keras_mmgan.serve.service import DemoService
from keras_mmgan.serve.service import RequestError
from keras_mmgan.serve.service import decode_image
from keras_mmgan.serve.service import model_family
