"""The suite's doctests: those of the backend module it runs on, not the other backends'."""

import keras

collect_ignore = [
    f"keras_mmgan/backend/{name}.py"
    for name in ("tensorflow", "jax", "torch")
    if name != keras.backend.backend()
]
