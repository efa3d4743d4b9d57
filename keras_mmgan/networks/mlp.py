"""Fully connected generator and discriminator for the 2D mixture benchmarks.

The networks of the grid and ring experiments (`keras_mmgan.datasets.gaussian_mixture`), in the
style of the VEEGAN and PacGAN protocols: a ReLU MLP generator from a low-dimensional latent to
the plane, and a LeakyReLU MLP discriminator that can read `pack` samples at once (PacGAN) and
can append a minibatch standard deviation feature (Karras et al. 2018).

References:
    Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
    section 5, https://arxiv.org/abs/1712.04086.
    Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
    Learning", section 5.1, https://arxiv.org/abs/1705.07761.
"""

import keras
from keras import layers

from keras_mmgan.layers.minibatch_std import MinibatchStdDev
from keras_mmgan.validation import check_positive_int


def mlp_generator(latent_dim=2, output_dim=2, units=400, num_layers=3):
    """MLP generator: z -> (Dense, ReLU) * num_layers -> linear Dense(output_dim).

    The output is unbounded (linear), as the mixtures' samples are not confined to [-1, 1].

    Args:
        latent_dim: size of z, a positive int.
        output_dim: size of a sample, a positive int (2 for the plane).
        units: units of each hidden layer, a positive int.
        num_layers: number of hidden layers, a positive int.

    Returns:
        A functional `keras.Model` named `"generator"`, `(N, latent_dim) -> (N, output_dim)`.

    Example:
        >>> generator = mlp_generator(latent_dim=2, units=32)
        >>> generator.input_shape, generator.output_shape
        ((None, 2), (None, 2))

    Reference:
        Lin et al. 2018, "PacGAN", section 5; Srivastava et al. 2017, "VEEGAN", section 5.1.
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    output_dim = check_positive_int("output_dim", output_dim)
    units = check_positive_int("units", units)
    num_layers = check_positive_int("num_layers", num_layers)
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    for _ in range(num_layers):
        x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(output_dim)(x)
    return keras.Model(latents, outputs, name="generator")


def mlp_discriminator(input_dim=2, units=200, num_layers=3, pack=1, minibatch_std=False):
    """MLP discriminator: (Dense, LeakyReLU 0.2) * num_layers -> Dense(1) logit.

    With `pack > 1` it is a PacGAN discriminator: its input is `pack` samples concatenated along
    the features, `(N, input_dim * pack)`, and it judges them jointly, which makes a generator
    that repeats samples easy to spot. The packing itself (grouping a batch of samples into
    packs) is done by the training engine, not by this network. With `minibatch_std` a
    `keras_mmgan.layers.MinibatchStdDev` layer appends the batch's standard deviation feature
    before the output layer.

    Args:
        input_dim: size of one sample, a positive int (2 for the plane).
        units: units of each hidden layer, a positive int.
        num_layers: number of hidden layers, a positive int.
        pack: number of samples the discriminator reads at once, a positive int (1: no packing).
        minibatch_std: whether to insert `MinibatchStdDev()` before the output layer.

    Returns:
        A functional `keras.Model` named `"discriminator"`, `(N, input_dim * pack) -> (N, 1)`
        logits.

    Example:
        >>> discriminator = mlp_discriminator(input_dim=2, units=32, pack=4)
        >>> discriminator.input_shape, discriminator.output_shape
        ((None, 8), (None, 1))

    Reference:
        Lin et al. 2018, "PacGAN", sections 3 and 5; Karras et al. 2018, "Progressive Growing
        of GANs", section 3 (minibatch standard deviation).
    """
    input_dim = check_positive_int("input_dim", input_dim)
    units = check_positive_int("units", units)
    num_layers = check_positive_int("num_layers", num_layers)
    pack = check_positive_int("pack", pack)
    if not isinstance(minibatch_std, bool):
        raise TypeError(f"minibatch_std must be a bool; got {minibatch_std!r}")
    samples = keras.Input((input_dim * pack,), name="samples")
    x = samples
    for _ in range(num_layers):
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    if minibatch_std:
        x = MinibatchStdDev()(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(samples, outputs, name="discriminator")
