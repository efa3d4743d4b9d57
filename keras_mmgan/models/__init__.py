"""GAN families, all trained by one engine (`GAN`)."""

from keras_mmgan.models.gan import GAN
from keras_mmgan.models.gan import PhaseOptimizers
from keras_mmgan.models.text_to_image_gan import TextToImageGAN
from keras_mmgan.models.conditional_gan import ConditionalGAN
from keras_mmgan.models.pix2pix import Pix2Pix
from keras_mmgan.models.cycle_gan import CycleGAN
from keras_mmgan.models.multimodal_pix2pix import MultimodalPix2Pix
from keras_mmgan.models.progressive_gan import ProgressiveGAN
