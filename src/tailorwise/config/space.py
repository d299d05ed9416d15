"""Search spaces for tuning: one dimension per hyperparameter. A model declares its default
space beside its parameters (``BaseRecommender.search_space``); the tuner reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from tailorwise.errors import ConfigError

if TYPE_CHECKING:
    import optuna


class Param(BaseModel):
    """One dimension of a search space: a float or int range, or a list of choices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str  # "float" | "int" | "choice"
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a point of this dimension (e.g. a model's default)."""
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return self.low <= value <= self.high and (self.kind == "float" or value == int(value))

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        if self.kind == "choice":
            return trial.suggest_categorical(name, list(self.choices))
        raise ConfigError(
            f"search space '{name}': kind must be float, int or choice, got {self.kind}"
        )


def float_range(low: float, high: float, log: bool = False) -> Param:
    return Param(kind="float", low=low, high=high, log=log)


def int_range(low: int, high: int, log: bool = False) -> Param:
    return Param(kind="int", low=low, high=high, log=log)


def choice(*options: Any) -> Param:
    return Param(kind="choice", choices=tuple(options))


SearchSpace = Mapping[str, Param]
