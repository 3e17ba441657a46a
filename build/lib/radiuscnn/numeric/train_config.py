"""How to train an ensemble: the frozen :class:`TrainConfig` (no torch import, so the CLI
can build its parser and validate flags without loading PyTorch)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from radiuscnn.theory.config import ConfigError

OPTIMIZERS = ("adam", "gd")
DTYPES = ("float32", "float64")


def _integer(value, flag: str, minimum: int) -> int:
    """An integer ``>= minimum`` (or its decimal string); bools and floats are rejected."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(f"{flag}: expected an integer >= {minimum}, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{flag}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{flag}: expected an integer >= {minimum}, got {value}")
    return value


def _positive(value, flag: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{flag}: must be > 0 and finite, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{flag}: must be > 0 and finite, got {value}")
    return number


@dataclass(frozen=True)
class TrainConfig:
    """How to train: ``seeds`` members (seeds ``seed .. seed+seeds-1``), ``steps`` full-batch
    updates of ``optimizer`` ('adam' or 'gd' = SGD without momentum) with learning rate ``lr``,
    in ``dtype``, on ``amplitudes`` evenly spaced training amplitudes; a member succeeds when
    its final MSE is ``<= tolerance``; the loss history keeps about ``history`` points."""

    seeds: int = 64
    steps: int = 10000
    lr: float = 0.01
    optimizer: str = "adam"
    seed: int = 0
    dtype: str = "float32"
    amplitudes: int = 11
    tolerance: float = 1e-3
    history: int = 200

    def __post_init__(self) -> None:
        def set_(name: str, value) -> None:
            object.__setattr__(self, name, value)

        set_("seeds", _integer(self.seeds, "--seeds", 1))
        set_("steps", _integer(self.steps, "--steps", 0))
        set_("lr", _positive(self.lr, "--lr"))
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"--optimizer: expected one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        set_("seed", _integer(self.seed, "--seed", 0))
        if self.seed + self.seeds - 1 >= 2**63:
            raise ConfigError(f"--seed: seed + seeds - 1 must be < 2^63, got {self.seed}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"--dtype: expected one of {', '.join(DTYPES)}, got {self.dtype!r}")
        set_("amplitudes", _integer(self.amplitudes, "--amplitudes", 1))
        set_("tolerance", _positive(self.tolerance, "--tolerance"))
        set_("history", _integer(self.history, "--history", 1))

    @property
    def torch_dtype(self):
        """The ``torch.dtype`` of ``dtype`` (imports torch on first use)."""
        import torch

        return getattr(torch, self.dtype)

    @property
    def member_seeds(self) -> tuple[int, ...]:
        return tuple(range(self.seed, self.seed + self.seeds))

    def with_(self, **changes) -> "TrainConfig":
        return TrainConfig(**{**asdict(self), **changes})

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
