"""Finding layers inside networks."""


def find_layers(networks, layer_type):
    """The layers of `layer_type` inside `networks`, nested models included, each once.

    Args:
        networks: an iterable of Keras layers or models.
        layer_type: a layer class (or tuple of classes), as `isinstance` takes it.

    Returns:
        A list of layers.

    Example:
        >>> import keras
        >>> inputs = keras.Input((3,))
        >>> model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
        >>> [type(layer).__name__ for layer in find_layers([model], keras.layers.BatchNormalization)]
        ['BatchNormalization']
    """
    found, seen, stack = [], set(), list(networks)
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, layer_type):
            found.append(layer)
        stack.extend(getattr(layer, "layers", ()))
        wrapped = getattr(layer, "layer", None)  # wrappers: SpectralNormalization, ...
        if wrapped is not None:
            stack.append(wrapped)
    return found
