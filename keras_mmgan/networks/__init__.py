"""Reusable architectures (forward passes only; the models own the losses)."""

from keras_mmgan.networks.dcgan import dcgan_discriminator
from keras_mmgan.networks.dcgan import dcgan_generator
from keras_mmgan.networks.mlp import mlp_discriminator
from keras_mmgan.networks.mlp import mlp_generator
from keras_mmgan.networks.translation import patchgan_discriminator
from keras_mmgan.networks.translation import resnet_generator
from keras_mmgan.networks.translation import unet_generator
from keras_mmgan.networks.progressive_gan import ProgressiveDiscriminator
from keras_mmgan.networks.progressive_gan import ProgressiveGenerator
from keras_mmgan.networks.text_to_image import FUSIONS
from keras_mmgan.networks.text_to_image import generator_fusion
from keras_mmgan.networks.text_to_image import text_encoder
from keras_mmgan.networks.text_to_image import text_to_image_generator
