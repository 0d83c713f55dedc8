"""Forecasters by name: `make_forecaster(name, train_cases)` fits one on the training
cases and returns it ready to predict.

    uniform     1/K per candidate (fits nothing)
    base-rate   how often each outcome kind was the actual one in training (the harness's
                baselines.BaseRate)
    market      the market value at freeze time where a level has one, else 1/K
    embedding   registered by their own modules (PLUGINS), imported on first use; a
    llm         forecaster whose module does not import is named with the import error

A forecaster has `name` and `predict(case) -> list[list[float]]` (a probability per
candidate per level, as augur.forecast.harness.evaluate scores it). A new one is a
factory `(train_cases, **options) -> forecaster` that its module registers when imported:

    from augur.forecast.registry import register
    register("embedding", lambda train, **options: EmbeddingForecaster(**options).fit(train))

and, so that `make_forecaster` finds it without an import at the call site, the module's
name in PLUGINS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from augur.errors import AugurError
from augur.forecast.case import Case
from augur.forecast.harness import baselines as B


class Forecaster(Protocol):
    name: str

    def predict(self, case: Case) -> list[list[float]]: ...


Factory = Callable[..., Forecaster]  # (train_cases, **options) -> a fitted forecaster

# name -> the module that calls register(name, ...) when imported.
PLUGINS = {"embedding": "augur.forecast.forecasters.embedding",
           "llm": "augur.forecast.forecasters.llm"}

_FACTORIES: dict[str, Factory] = {}


class ForecasterUnavailable(AugurError):
    """A named forecaster whose module cannot be imported (a missing extra, say)."""


def register(name: str, factory: Factory) -> None:
    """Make `name` available to make_forecaster. Registering a name again from the same
    module replaces it (a reloaded module); from another module is refused."""
    old = _FACTORIES.get(name)
    if old is not None and old.__module__ != factory.__module__:
        raise ValueError(f"forecaster {name!r} is already registered by {old.__module__}; "
                         f"{factory.__module__} must use another name")
    _FACTORIES[name] = factory


def names() -> list[str]:
    """Every forecaster name: the registered ones, then the plugins not yet imported."""
    return list(dict.fromkeys([*_FACTORIES, *PLUGINS]))


def factory(name: str) -> Factory:
    """The factory of `name`, importing its plugin module on first use."""
    if name not in _FACTORIES and name in PLUGINS:
        try:
            importlib.import_module(PLUGINS[name])
        except ImportError as exc:
            raise ForecasterUnavailable(f"forecaster {name!r} is not available: importing "
                                        f"{PLUGINS[name]} failed ({exc})") from exc
        if name not in _FACTORIES:
            raise ForecasterUnavailable(f"forecaster {name!r} is not available: "
                                        f"{PLUGINS[name]} imported but did not call "
                                        f"register({name!r}, factory)")
    if name not in _FACTORIES:
        raise ValueError(f"unknown forecaster {name!r}; expected one of {', '.join(names())}")
    return _FACTORIES[name]


def available() -> tuple[list[str], dict[str, str]]:
    """(the names whose modules import, {name: why not} for the others)."""
    ok, missing = [], {}
    for name in names():
        try:
            factory(name)
            ok.append(name)
        except ForecasterUnavailable as exc:
            missing[name] = str(exc)
    return ok, missing


def make_forecaster(name: str, train_cases: Sequence[Case] = (), **options: Any) -> Forecaster:
    """A forecaster fitted on `train_cases` (those that fit nothing ignore them)."""
    return factory(name)(list(train_cases), **options)


# --------------------------------------------------------------------------- baselines


def _lists(probs: list) -> list[list[float]]:
    return [p.tolist() for p in probs]


class UniformForecaster:
    name = "uniform"

    def predict(self, case: Case) -> list[list[float]]:
        return _lists(B.uniform(case.levels))


class BaseRateForecaster:
    """The harness's BaseRate, fitted on the levels of the training cases."""

    name = "base-rate"

    def fit(self, cases: Sequence[Case]) -> BaseRateForecaster:
        if not cases:
            raise ValueError("forecaster 'base-rate' needs training cases (the outcome kinds' "
                             "rates are fitted on them); got none")
        self.model_ = B.BaseRate().fit([lv for c in cases for lv in c.levels])
        return self

    def predict(self, case: Case) -> list[list[float]]:
        if not hasattr(self, "model_"):
            raise ValueError("BaseRateForecaster.predict called before fit; call "
                             "fit(train_cases) first")
        return _lists(self.model_.predict(case.levels))


class MarketForecaster:
    name = "market"

    def predict(self, case: Case) -> list[list[float]]:
        return _lists(B.market(case.levels)[0])


register("uniform", lambda train: UniformForecaster())
register("base-rate", lambda train: BaseRateForecaster().fit(train))
register("market", lambda train: MarketForecaster())
