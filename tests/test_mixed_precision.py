"""`keras_mmgan.precision`: the choice of "auto" follows the hardware (CPU flags mocked)."""

import keras
import pytest

import keras_mmgan
from keras_mmgan import mixed_precision


@pytest.fixture(autouse=True)
def _keep_policy():
    previous = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(previous)


@pytest.mark.parametrize(
    "flags, native",
    [
        ({"sse4_2", "avx2", "fma"}, False),  # an AMD EPYC of this project: AVX2 only
        ({"avx2", "avx512f", "avx512_vnni"}, False),  # AVX-512 without its bfloat16 part
        ({"avx2", "avx512f", "avx512_bf16"}, True),
        ({"avx2", "avx512f", "amx_tile", "amx_bf16"}, True),  # Sapphire Rapids
    ],
)
def test_native_bfloat16_reads_the_cpu_flags(flags, native):
    found, reason = mixed_precision.native_bfloat16(flags=flags, accelerator="")
    assert found is native
    assert ("natively" in reason) is native


def test_an_accelerator_with_bfloat16_wins_over_the_cpu():
    found, reason = mixed_precision.native_bfloat16(flags={"avx2"}, accelerator="TPU")
    assert found and reason.startswith("TPU")


def test_cpu_flags_parses_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16\nbugs\t\t: spectre\n")
    assert mixed_precision.cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "amx_bf16"}
    assert mixed_precision.cpu_flags(str(tmp_path / "missing")) == set()


@pytest.mark.parametrize(
    "flags, expected", [({"avx2"}, "float32"), ({"avx2", "amx_bf16"}, "mixed_bfloat16")]
)
def test_auto_sets_the_policy_the_hardware_calls_for(flags, expected, monkeypatch, capsys):
    monkeypatch.setattr(mixed_precision, "cpu_flags", lambda: flags)
    monkeypatch.setattr(mixed_precision.backend, "bfloat16_accelerator", lambda: None)
    assert keras_mmgan.precision("auto") == expected
    assert keras.config.dtype_policy().name == expected
    printed = capsys.readouterr().out
    assert printed.startswith(f"precision: {expected}, since ")
    # Networks built next compute in that type and keep float32 weights.
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert layer.compute_dtype == ("bfloat16" if expected == "mixed_bfloat16" else "float32")
    assert layer.kernel.dtype == "float32"


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_a_named_policy_is_set_as_asked(policy):
    assert keras_mmgan.precision(policy, verbose=False) == policy
    assert keras.config.dtype_policy().name == policy


@pytest.mark.parametrize("policy", ["bfloat16", "fp32", None, 16])
def test_an_unknown_policy_is_refused(policy):
    with pytest.raises(ValueError, match="policy must be one of"):
        keras_mmgan.precision(policy)
