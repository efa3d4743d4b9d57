"""`python -m keras_mmgan.serve MODEL.keras [--port 8000] [--host 127.0.0.1]`."""

import sys

from keras_mmgan.serve.main import main

if __name__ == "__main__":
    sys.exit(main())
