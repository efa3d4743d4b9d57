"""Reusable architectures (forward passes only; the models own the losses)."""

from keras_mmgan.networks.dcgan import dcgan_discriminator
from keras_mmgan.networks.dcgan import dcgan_generator
from keras_mmgan.networks.mlp import mlp_discriminator
from keras_mmgan.networks.mlp import mlp_generator
