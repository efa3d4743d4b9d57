"""`python -m keras_mmgan.cli ...` runs the `keras-mmgan` command."""

import sys

from keras_mmgan.cli.commands import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
