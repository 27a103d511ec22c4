"""Delay distributions: configured in scenarios, sampled by inverse CDF.

Every distribution maps one uniform draw ``u`` in [0, 1) to a delay in seconds
(``quantile``), so a message's delay on a route depends only on its own keyed draw
(common random numbers, DESIGN §2.4).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtri

_Z95 = NormalDist().inv_cdf(0.95)
_INV_CDF = NormalDist().inv_cdf
_U_MIN = 1e-12


class _Delay(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def quantile(self, u: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def quantiles(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`quantile` (used to turn blocks of draws into delays)."""
        return np.asarray(np.vectorize(self.quantile, otypes=[float])(u), dtype=float)

    @property
    def expected_s(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class ConstantDelay(_Delay):
    """Always the same delay."""

    dist: Literal["constant"]
    value_s: float = Field(ge=0)

    def quantile(self, u: float) -> float:
        return self.value_s

    def quantiles(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.full_like(u, self.value_s)

    @property
    def expected_s(self) -> float:
        return self.value_s


class ExponentialDelay(_Delay):
    """Memoryless delay with the given mean."""

    dist: Literal["exponential"]
    mean_s: float = Field(gt=0)

    def quantile(self, u: float) -> float:
        return -self.mean_s * math.log1p(-min(u, 1.0 - _U_MIN))

    def quantiles(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return -self.mean_s * np.log1p(-np.minimum(u, 1.0 - _U_MIN))

    @property
    def expected_s(self) -> float:
        return self.mean_s


class UniformDelay(_Delay):
    """Delay uniform between two bounds."""

    dist: Literal["uniform"]
    low_s: float = Field(ge=0)
    high_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> UniformDelay:
        if self.high_s < self.low_s:
            raise ValueError("high_s must be >= low_s")
        return self

    def quantile(self, u: float) -> float:
        return self.low_s + (self.high_s - self.low_s) * u

    def quantiles(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self.low_s + (self.high_s - self.low_s) * u

    @property
    def expected_s(self) -> float:
        return 0.5 * (self.low_s + self.high_s)


class LogNormalDelay(_Delay):
    """Right-skewed delay given by its median and 95th percentile (how routes are quoted)."""

    dist: Literal["lognormal"]
    median_s: float = Field(gt=0)
    p95_s: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LogNormalDelay:
        if self.p95_s <= self.median_s:
            raise ValueError("p95_s must be greater than median_s")
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p95_s / self.median_s) / _Z95

    def quantile(self, u: float) -> float:
        u = min(max(u, _U_MIN), 1.0 - _U_MIN)
        return self.median_s * math.exp(self.sigma * _INV_CDF(u))

    def quantiles(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        clipped = np.clip(u, _U_MIN, 1.0 - _U_MIN)
        return self.median_s * np.exp(self.sigma * ndtri(clipped))  # type: ignore[no-any-return]

    @property
    def expected_s(self) -> float:
        return self.median_s * math.exp(0.5 * self.sigma**2)


Delay = Annotated[
    ConstantDelay | ExponentialDelay | UniformDelay | LogNormalDelay,
    Field(discriminator="dist"),
]
