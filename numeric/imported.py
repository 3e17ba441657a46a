"""A PyTorch model as a one-member ensemble of the model family, checked side by side.

:func:`import_model` reads a model (:mod:`numeric.importer`), completes the configuration
(``C``, ``k``, dimension, head, and when the model says so padding and sigma, from the model;
size, radii and amplitudes from the caller's :class:`Config`), converts the weights to the
``numeric.model`` layout (``w = weight[:, 0]``, ``b = bias``, ``v = weight[0]`` or
``V = weight[0].reshape(C, |I|[, |I|])``, ``beta = bias[0]``; float64, which holds every
float32 exactly) and evaluates :func:`numeric.model.forward` and the original on the whole
data set. The largest difference is kept in :attr:`ImportedModel.max_difference`; above
``RELATIVE_TOLERANCE * (1 + max |y|)`` the import is refused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from radiuscnn.numeric.activations import TORCH
from radiuscnn.numeric.importer import RELATIVE_TOLERANCE, ModelImportError, Reading, load_state_dict, read_module
from radiuscnn.numeric.importer import read_state_dict
from radiuscnn.numeric.model import Ensemble, even_same_padding_allowed, forward
from radiuscnn.theory.config import Config, ConfigError, default_config


@dataclass(frozen=True, eq=False)
class ImportedModel:
    """``cfg`` and ``params`` (one member, float64) of an imported model; ``max_difference`` =
    ``max |y_imported - y_original|`` over the ``samples`` of the data set (``n_amplitudes``
    amplitudes per radius); ``source`` names where it came from."""

    cfg: Config
    params: Ensemble
    reading: Reading
    source: str
    max_difference: float
    max_output: float
    samples: int
    n_amplitudes: int

    @property
    def tolerance(self) -> float:
        return RELATIVE_TOLERANCE * (1 + self.max_output)

    @property
    def compared(self) -> str:
        """What ``max_difference`` compares: the user's own module (sigma, padding and all)
        or, for a bare state_dict, the ``torch.nn`` reference built from the same flags, so
        a wrong sigma or padding cannot show up in it."""
        if self.reading.module is not None:
            return "the original module"
        return "state_dict: sigma and padding taken from the flags, not checked"

    def summary(self) -> str:
        c = self.cfg
        sigma = c.activation + (f"({c.alpha})" if c.activation == "leaky_relu" else "")
        return (f"imported {self.source}: {c.dim}D, C={c.channels} k={c.kernel} {sigma} {c.padding} {c.head}; "
                f"max |y_imported - y_original| = {self.max_difference:.3g} on {self.samples} samples "
                f"(tolerance {self.tolerance:.1g}; {self.compared})")


def config_for(reading: Reading, cfg: Config | None) -> Config:
    """The configuration of the model: architecture from ``reading``, the rest from ``cfg``."""
    base = default_config(reading.dim) if cfg is None else cfg
    if base.dim != reading.dim:
        raise ModelImportError(f"the model is {reading.dim}D (Conv{reading.dim}d) but the configuration is "
                               f"{base.dim}D; pass --dim {reading.dim} (Config(dim={reading.dim}))")
    changes = {"kernel": reading.kernel, "channels": reading.channels, "head": "gap"}
    if reading.padding is not None:
        changes["padding"] = reading.padding
    if reading.activation is not None:
        changes["activation"] = reading.activation
    if reading.alpha is not None:
        changes["alpha"] = reading.alpha
    try:
        out = base.with_(**changes)
    except ConfigError as error:
        raise ModelImportError(f"the model does not fit the data configuration: {error}") from None
    C, n, F = out.channels, out.n_outputs, reading.head_features
    if F != C and F == C * n and reading.pool is None:
        out = out.with_(head="fc")
    elif F != C:
        raise ModelImportError(
            f"layer {reading.names[1]!r}: Linear({F}, 1) fits neither GAP (Linear({C}, 1) after a pool) nor FC "
            f"(Linear({C * n}, 1) = C |I|^{out.dim} for N={out.size}, {out.padding} padding)")
    if isinstance(reading.pool, int) and reading.pool != out.out_size:
        raise ModelImportError(f"AvgPool of size {reading.pool} does not cover the whole output (|I| = {out.out_size}); "
                               "only a pool over the whole output is supported")
    return out


def convert(reading: Reading, cfg: Config) -> Ensemble:
    """The ``numeric.model`` parameters (one member, float64) of the model's tensors."""
    conv, lin = reading.names
    t = {k: v.detach().to(torch.float64) for k, v in reading.tensors.items()}
    w, b = t[conv + ".weight"][:, 0], t[conv + ".bias"]
    head = t[lin + ".weight"][0]
    params = {"w": w[None], "b": b[None]}
    if cfg.head == "gap":
        params["v"] = head[None]
    else:
        params["V"] = head.reshape(1, cfg.channels, *(cfg.out_size,) * cfg.dim)
    params["beta"] = t[lin + ".bias"][:1]
    return {k: v.contiguous() for k, v in params.items()}


def reference_module(reading: Reading, cfg: Config) -> nn.Module:
    """The original module in float64, or for a bare state_dict the ``torch.nn`` network of
    the configuration with the state_dict's tensors (an implementation independent of
    :func:`numeric.model.forward`: ``F.convNd``, ``nn.AdaptiveAvgPoolNd``, ``nn.Linear``)."""
    if reading.module is not None:
        module = copy.deepcopy(reading.module)
    else:
        conv_type = nn.Conv1d if cfg.dim == 1 else nn.Conv2d
        padding = "valid" if cfg.padding == "valid" else "same"
        mode = "circular" if cfg.padding == "circular" else "zeros"
        conv = conv_type(1, cfg.channels, cfg.kernel, padding=padding, padding_mode=mode)
        module_type = TORCH[cfg.activation].module
        if module_type is None:
            raise ModelImportError(f"activation {cfg.activation!r} has no torch.nn module to check a state_dict against")
        act = nn.LeakyReLU(float(cfg.alpha)) if cfg.activation == "leaky_relu" else module_type()
        pool = [] if cfg.head == "fc" else [(nn.AdaptiveAvgPool1d if cfg.dim == 1 else nn.AdaptiveAvgPool2d)(1)]
        features = cfg.channels * (cfg.n_outputs if cfg.head == "fc" else 1)
        module = nn.Sequential(conv, act, *pool, nn.Flatten(), nn.Linear(features, 1))
        conv_name, lin_name = reading.names
        module.load_state_dict({
            "0.weight": reading.tensors[conv_name + ".weight"], "0.bias": reading.tensors[conv_name + ".bias"],
            f"{len(module) - 1}.weight": reading.tensors[lin_name + ".weight"],
            f"{len(module) - 1}.bias": reading.tensors[lin_name + ".bias"],
        })
    return module.to(torch.float64).eval()


def import_model(source, cfg: Config | None = None, n_amplitudes: int | None = None) -> ImportedModel:
    """Read ``source`` (an ``nn.Module``, a state_dict, or a ``.pt``/``.pth``/``.safetensors``
    path), convert it and check it against the original on the data set of ``cfg`` with
    ``n_amplitudes`` amplitudes (default: the trainer's). Raises :class:`ModelImportError`."""
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.train_config import TrainConfig

    if isinstance(source, nn.Module):
        reading, name = read_module(source), type(source).__name__
    elif isinstance(source, dict):
        reading, name = read_state_dict(source), "state_dict"
    elif isinstance(source, (str, Path)):
        reading, name = read_state_dict(load_state_dict(source)), str(source)
    else:
        raise ModelImportError(f"expected an nn.Module, a state_dict or a file path, got {type(source).__name__}")
    cfg = config_for(reading, cfg)
    params = convert(reading, cfg)
    n_amplitudes = TrainConfig().amplitudes if n_amplitudes is None else n_amplitudes
    try:
        data = make_dataset(cfg, n_amplitudes, torch.float64)
    except ConfigError as error:
        raise ModelImportError(str(error)) from None
    try:
        with torch.no_grad(), even_same_padding_allowed():
            original = reference_module(reading, cfg)(data.x.unsqueeze(1))
    except ModelImportError:
        raise
    except Exception as error:  # the user's forward may fail in any way
        raise ModelImportError(f"the original model cannot be evaluated on the data set "
                               f"({type(error).__name__}: {_first(error)})") from None
    if not isinstance(original, torch.Tensor) or original.numel() != len(data):
        shape = tuple(original.shape) if isinstance(original, torch.Tensor) else type(original).__name__
        raise ModelImportError(f"the original model returns {shape} for {len(data)} samples; the family has one output per sample")
    with torch.no_grad():
        y = forward(cfg, params, data.x).output[0]
    original = original.reshape(-1).to(torch.float64)
    diff = float((y - original).abs().max())
    top = float(original.abs().max())
    model = ImportedModel(cfg, params, reading, name, diff, top, len(data), n_amplitudes)
    if not (diff <= model.tolerance):
        raise ModelImportError(
            f"the imported network and the original differ by up to {diff:.3g} on the data set (tolerance "
            f"{model.tolerance:.1g}): the model computes something else than conv -> {cfg.activation} -> {cfg.head} "
            "(check --activation / --padding, or layers applied in forward())")
    return model


def _first(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else ""
