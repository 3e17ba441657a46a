"""Bring your own network: read a PyTorch model into the model family (THEORY.md section 2).

The family is ``conv(1->C, k, bias) -> sigma -> head``; in PyTorch terms::

    nn.Sequential(nn.Conv1d(1, C, k, padding=...), sigma,            # or nn.Conv2d (2D)
                  nn.AdaptiveAvgPool1d(1) | nn.AvgPool1d(|I|) | (none), nn.Flatten(),
                  nn.Linear(C, 1) | nn.Linear(C |I|^dim, 1))

or any custom ``nn.Module`` with the same parameters (one convolution ``weight (C, 1, k[, k])``
and ``bias (C,)``, one linear ``weight (1, F)`` and ``bias (1,)``), or a bare ``state_dict``
of those four tensors (``.pt``/``.pth`` read with ``torch.load(weights_only=True)``, which
never runs code, or ``.safetensors``).

What is read: ``C`` and ``k`` from the shapes, the dimension from the weight's rank, the head
from ``F`` (``F = C``: GAP, ``y = beta + sum_c v_c mean_i u_{c,i}``, so ``v = weight[0]``;
``F = C |I|^dim``: FC, ``V_{c,i} = weight[0, c |I| + i]``, the ``nn.Flatten`` order of
``(C, |I|)`` or ``(C, |I|, |I|)``). From a module also the padding and the activation:

- ``padding='same'`` or an integer ``(k-1)/2`` (odd ``k``) is ``'same'``; with
  ``padding_mode='zeros'`` that is the project's *zeros*, with ``'circular'`` its *circular*
  (PyTorch's ``'same'`` pads ``h_l = (k-1)//2`` before and ``h_r = k-1-h_l`` after, as
  THEORY.md does); ``'valid'`` or ``0`` is *valid*. Other integers and ``'reflect'`` /
  ``'replicate'`` have no counterpart and are refused.
- ``nn.ReLU``, ``nn.LeakyReLU(alpha)`` (``0 < alpha < 1``), ``nn.Hardtanh()`` (only
  ``[-1, 1]``, the pieces of ``theory.activations``), ``nn.Tanh``, ``nn.Sigmoid``,
  ``nn.Softplus()`` (``beta=1, threshold=20``), ``nn.Identity``. A bare state_dict (or a
  module applying sigma in ``forward``) takes sigma and the padding from the configuration.

The data configuration (size, radii, amplitudes) always comes from the caller. Before any
analysis :func:`import_model` evaluates the converted parameters with
:func:`numeric.model.forward` and the original (the module, or for a state_dict a reference
``nn.Sequential`` of ``torch.nn`` layers) side by side in float64 on the whole data set of
:func:`numeric.data.make_dataset` and refuses when they differ beyond float tolerance. Every
refusal is a :class:`ModelImportError` with a one-line message.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import torch
from torch import nn

from radiuscnn.numeric.activations import TORCH

SUPPORTED = ("one Conv1d/Conv2d(1, C, k, bias=True), one activation (ReLU, LeakyReLU, Hardtanh(-1, 1), "
             "Tanh, Sigmoid, Softplus, Identity), AdaptiveAvgPool(1)/AvgPool over the whole output or "
             "Flatten, one Linear(., 1, bias=True)")
RELATIVE_TOLERANCE = 1e-9  # float64 on both sides: only summation order differs


class ModelImportError(Exception):
    """A model that is not in the family, or cannot be read; the message is one line."""


@dataclass(frozen=True)
class Reading:
    """What the model says about itself. ``padding``/``activation`` are ``None`` when the model
    does not say (a bare state_dict); ``head_features`` is ``F``; ``pool``: ``None`` (no pool
    layer), ``"adaptive"`` or the ``AvgPool`` kernel size; ``module`` the original (or ``None``)."""

    dim: int
    channels: int
    kernel: int
    head_features: int
    padding: str | None
    activation: str | None
    alpha: Fraction | None
    pool: object
    tensors: dict
    names: tuple[str, str]
    module: nn.Module | None = None

    def describe(self) -> str:
        conv = f"Conv{self.dim}d(1, {self.channels}, k={self.kernel})"
        return f"{conv} [{self.names[0]}] -> Linear({self.head_features}, 1) [{self.names[1]}]"


# --------------------------------------------------------------------------------------------
# Reading tensors: files and state_dicts
# --------------------------------------------------------------------------------------------
def _first_line(error: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(error)).strip().splitlines()  # no ANSI codes
    return text[0][:200] if text else type(error).__name__


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``.safetensors`` file, or of a ``.pt``/``.pth`` file read with
    ``torch.load(weights_only=True)`` (a dict, possibly under ``"state_dict"`` or
    ``"model_state_dict"``). Never unpickles code."""
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"{path}: no such file")
    if path.suffix == ".safetensors":
        import safetensors.torch

        try:
            return dict(safetensors.torch.load_file(str(path)))
        except Exception as error:  # safetensors has its own error types
            raise ModelImportError(f"{path} is not a PyTorch checkpoint or safetensors file "
                                   f"(safetensors: {_first_line(error)})") from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" in str(error):  # a valid pickle of something else than tensors
            raise ModelImportError(
                f"{path} is a pickled object, not a state_dict: save model.state_dict() instead "
                "(loading never executes code)") from None
        raise ModelImportError(f"{path} is not a PyTorch checkpoint or safetensors file") from None
    except Exception:  # KeyError, RuntimeError, EOFError ... on a file torch.save did not write
        raise ModelImportError(f"{path} is not a PyTorch checkpoint or safetensors file") from None
    if isinstance(data, dict):
        for key in ("state_dict", "model_state_dict"):
            if isinstance(data.get(key), dict):
                data = data[key]
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()):
        raise ModelImportError(f"{path}: a {type(data).__name__} that is not a state_dict (a dict of name -> tensor)")
    return dict(data)


def split_layers(sd: dict[str, torch.Tensor]) -> tuple[str, str]:
    """The prefixes ``(conv, linear)`` of the two layers of a state_dict, after checking its
    keys and shapes (exactly ``{conv}.weight/bias`` and ``{linear}.weight/bias``)."""
    layers: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in sd.items():
        prefix, _, leaf = key.rpartition(".")
        layers.setdefault(prefix, {})[leaf] = tensor
    convs = [p for p, t in layers.items() if "weight" in t and t["weight"].dim() in (3, 4)]
    linears = [p for p, t in layers.items() if "weight" in t and t["weight"].dim() == 2]
    for prefix, tensors in layers.items():
        extra = sorted(set(tensors) - {"weight", "bias"})
        if extra:
            kind = "BatchNorm" if "running_mean" in tensors else "a layer"
            raise ModelImportError(f"layer {prefix!r} has {', '.join(extra)} ({kind}): not in the family; supported: {SUPPORTED}")
        if prefix not in convs and prefix not in linears:
            shape = tuple(tensors["weight"].shape) if "weight" in tensors else None
            raise ModelImportError(f"layer {prefix!r} (weight shape {shape}, keys {sorted(tensors)}) is not a "
                                   f"convolution or linear layer; supported: {SUPPORTED}")
    if len(convs) != 1:
        raise ModelImportError(f"expected one convolution weight (C, 1, k) or (C, 1, k, k), found {len(convs)}"
                               + (f" ({', '.join(convs)})" if convs else "") + f"; supported: {SUPPORTED}")
    if len(linears) != 1:
        raise ModelImportError(f"expected one linear weight (1, F), found {len(linears)}"
                               + (f" ({', '.join(linears)})" if linears else "") + f"; supported: {SUPPORTED}")
    conv, lin = convs[0], linears[0]
    for prefix, what in ((conv, "the conv bias b_c"), (lin, "the output bias beta")):
        if "bias" not in layers[prefix]:
            raise ModelImportError(f"layer {prefix!r} has no bias: the theory needs {what} (bias=True)")
    w, b = layers[conv]["weight"], layers[conv]["bias"]
    if w.shape[1] != 1:
        raise ModelImportError(f"layer {conv!r}: {w.shape[1]} input channels; the family reads one signal (in_channels=1)")
    if w.dim() == 4 and w.shape[2] != w.shape[3]:
        raise ModelImportError(f"layer {conv!r}: kernel {tuple(w.shape[2:])} is not square; 2D needs k x k")
    if tuple(b.shape) != (w.shape[0],):
        raise ModelImportError(f"layer {conv!r}: bias shape {tuple(b.shape)} does not match {w.shape[0]} channels")
    V, beta = layers[lin]["weight"], layers[lin]["bias"]
    if V.shape[0] != 1 or tuple(beta.shape) != (V.shape[0],):
        raise ModelImportError(f"layer {lin!r}: {V.shape[0]} outputs (bias shape {tuple(beta.shape)}); the family has one output (Linear(F, 1))")
    for key, tensor in sd.items():
        if not tensor.is_floating_point():
            raise ModelImportError(f"{key!r}: dtype {tensor.dtype} is not a floating-point weight")
        if not bool(torch.isfinite(tensor).all()):
            raise ModelImportError(f"{key!r} contains NaN or infinite weights")
    return conv, lin


def read_state_dict(sd: dict[str, torch.Tensor]) -> Reading:
    """:class:`Reading` of a bare state_dict (padding and activation left to the config)."""
    conv, lin = split_layers(sd)
    w, V = sd[conv + ".weight"], sd[lin + ".weight"]
    return Reading(w.dim() - 2, int(w.shape[0]), int(w.shape[-1]), int(V.shape[1]), None, None, None, None,
                   {k: t.detach() for k, t in sd.items()}, (conv, lin))


# --------------------------------------------------------------------------------------------
# Reading modules
# --------------------------------------------------------------------------------------------
def _activation(name: str, m: nn.Module) -> tuple[str, Fraction | None]:
    """The registry name of the activation module ``m`` (``numeric.activations.TORCH``) and its
    leaky slope; a module with parameters only with those of the torch function of that name."""
    by_module = {spec.module: activation for activation, spec in TORCH.items() if spec.module is not None}
    if type(m) not in by_module:
        raise KeyError(name)
    activation = by_module[type(m)]
    if activation == "leaky_relu":
        alpha = Fraction(str(m.negative_slope))
        if not 0 < alpha < 1:
            raise ModelImportError(f"layer {name!r}: LeakyReLU slope {m.negative_slope} outside (0, 1) is not supported")
        return activation, alpha
    if activation == "hardtanh" and (m.min_val, m.max_val) != (-1.0, 1.0):
        raise ModelImportError(f"layer {name!r}: Hardtanh({m.min_val}, {m.max_val}); only Hardtanh(-1, 1) is supported")
    if activation == "softplus" and (m.beta, m.threshold) != (1.0, 20.0):
        raise ModelImportError(f"layer {name!r}: Softplus(beta={m.beta}, threshold={m.threshold}); only the default is supported")
    return activation, None


def _padding(name: str, conv: nn.Module) -> str:
    k = conv.kernel_size[0]
    if conv.stride != (1,) * len(conv.stride) or conv.dilation != (1,) * len(conv.dilation) or conv.groups != 1:
        raise ModelImportError(f"layer {name!r}: stride {conv.stride}, dilation {conv.dilation}, groups {conv.groups}; "
                               "the family has stride 1, dilation 1, groups 1")
    pad = conv.padding
    if pad == "valid" or (not isinstance(pad, str) and all(p == 0 for p in pad)):
        return "valid"
    same = pad == "same" or (k % 2 == 1 and all(p == (k - 1) // 2 for p in pad))
    if not same:
        raise ModelImportError(f"layer {name!r}: padding {pad} with k={k} is neither 'same' ((k-1)/2 for odd k) "
                               "nor 'valid' (0); supported: zeros ('same'), valid, circular")
    modes = {"zeros": "zeros", "circular": "circular"}
    if conv.padding_mode not in modes:
        raise ModelImportError(f"layer {name!r}: padding_mode {conv.padding_mode!r} is not supported; "
                               "supported: 'zeros' or 'circular'")
    return modes[conv.padding_mode]


def _tuple(x, dim: int) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * dim


def read_module(module: nn.Module) -> Reading:
    """:class:`Reading` of an ``nn.Module`` (its leaf layers, in registration order)."""
    if not isinstance(module, nn.Module):
        raise ModelImportError(f"expected a torch.nn.Module, got {type(module).__name__}")
    leaves = [(n or type(m).__name__, m) for n, m in module.named_modules() if not list(m.children())]
    convs, linears, acts, pools = [], [], [], []
    for name, m in leaves:
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            convs.append((name, m))
        elif isinstance(m, nn.Linear):
            linears.append((name, m))
        elif isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
            size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,)
            if any(s != 1 for s in size):
                raise ModelImportError(f"layer {name!r}: AdaptiveAvgPool to {m.output_size}; only output size 1 (GAP) is supported")
            pools.append((name, "adaptive"))
        elif isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
            pools.append((name, m))
        elif isinstance(m, nn.Flatten):
            continue
        else:
            try:
                acts.append((name, *_activation(name, m)))
            except KeyError:
                raise ModelImportError(f"layer {name!r} ({type(m).__name__}) is not in the family; supported: {SUPPORTED}") from None
            if len(acts) > 1:
                raise ModelImportError(f"layer {name!r} ({type(m).__name__}): a second activation; the family has one")
    for found, what in ((convs, "convolution"), (linears, "Linear"), (pools, "pooling layer")):
        if len(found) > 1:
            name = found[1][0]
            raise ModelImportError(f"layer {name!r}: a second {what}; supported: {SUPPORTED}")
    reading = read_state_dict(dict(module.state_dict()))
    pad = _padding(*convs[0]) if convs else None
    name, act, alpha = acts[0] if acts else (None, None, None)
    pool = pools[0][1] if pools else None
    if isinstance(pool, nn.Module):
        size, stride, padding = (_tuple(x, reading.dim) for x in (pool.kernel_size, pool.stride, pool.padding))
        if any(padding) or size != stride or len(set(size)) != 1:
            raise ModelImportError(f"layer {pools[0][0]!r}: AvgPool with padding or overlapping windows; only a pool over the whole output is supported")
        pool = size[0]
    return Reading(reading.dim, reading.channels, reading.kernel, reading.head_features, pad, act, alpha, pool,
                   reading.tensors, reading.names, module)
