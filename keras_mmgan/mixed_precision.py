"""`precision("auto")`: bfloat16 compute where the hardware has it natively, float32 elsewhere.

Mixed precision keeps float32 weights and computes in a 16-bit type. bfloat16 needs no loss
scaling, and where the hardware multiplies it natively (x86 AMX or AVX512-BF16, Ampere-or-newer
GPUs, TPUs) it trains 1.3-2.1x faster here (`benchmarks/throughput.py`, an AMX Xeon). Where it
is emulated (an AVX2-only CPU, say) it is slower than float32, so `"auto"` chooses by hardware.
The losses, penalties and metrics of keras_mmgan are computed in float32 under any policy.
"""

import keras

from keras_mmgan import backend

POLICIES = ("auto", "float32", "mixed_bfloat16", "mixed_float16")

# CPU flags (as Linux's /proc/cpuinfo spells them) of native bfloat16 matrix multiplication.
_BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(path="/proc/cpuinfo"):
    """The feature flags of this machine's CPU, as Linux reports them.

    Args:
        path: the file to read (Linux's `/proc/cpuinfo`).

    Returns:
        A set of flag names (e.g. `{"avx2", "amx_bf16", ...}`); empty where the file is missing.

    Example:

    >>> isinstance(cpu_flags(), set)
    True
    """
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bfloat16(flags=None, accelerator=None):
    """Whether this machine computes bfloat16 natively, and why.

    Args:
        flags: CPU feature flags; `cpu_flags()` by default.
        accelerator: a description of a GPU or TPU with native bfloat16, `""` for none;
            `backend.bfloat16_accelerator()` by default.

    Returns:
        A tuple `(native, reason)`: a bool, and a sentence that says what was found.

    Example:

    >>> native_bfloat16(flags={"avx2", "fma"}, accelerator="")
    (False, 'no GPU or TPU with native bfloat16, and the CPU has neither amx_bf16 nor avx512_bf16')
    >>> native_bfloat16(flags={"avx2", "amx_bf16"}, accelerator="")[0]
    True
    """
    if accelerator is None:
        accelerator = backend.bfloat16_accelerator() or ""
    if accelerator:
        return True, f"{accelerator} computes bfloat16 natively"
    flags = cpu_flags() if flags is None else set(flags)
    found = [flag for flag in _BFLOAT16_CPU_FLAGS if flag in flags]
    if found:
        return True, f"the CPU computes bfloat16 natively ({', '.join(found)})"
    return False, (
        "no GPU or TPU with native bfloat16, and the CPU has neither "
        + " nor ".join(_BFLOAT16_CPU_FLAGS)
    )


def precision(policy="auto", verbose=True):
    """Sets Keras's dtype policy for the networks built after it; `"auto"` picks by hardware.

    Call it before building the networks. `"auto"` chooses `"mixed_bfloat16"` where the
    hardware computes bfloat16 natively (x86 AMX or AVX512-BF16, Ampere-or-newer GPUs, TPUs)
    and `"float32"` elsewhere, and says which and why. The other names set that policy as
    `keras.config.set_dtype_policy` does; models wrap their optimizers in a
    `LossScaleOptimizer` under `"mixed_float16"`. Losses, penalties and metrics stay float32.

    Args:
        policy: `"auto"`, `"float32"`, `"mixed_bfloat16"` or `"mixed_float16"`.
        verbose: print the choice and its reason.

    Returns:
        The name of the policy set.

    Example:

    >>> previous = keras.config.dtype_policy()
    >>> precision("float32", verbose=False)
    'float32'
    >>> keras.config.set_dtype_policy(previous)
    """
    if not isinstance(policy, str) or policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}; got {policy!r}")
    if policy == "auto":
        native, reason = native_bfloat16()
        chosen = "mixed_bfloat16" if native else "float32"
        message = f"precision: {chosen}, since {reason}"
    else:
        chosen, message = policy, f"precision: {policy}, as asked"
    keras.config.set_dtype_policy(chosen)
    if verbose:
        print(message)
    return chosen
