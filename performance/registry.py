"""Evaluators registered by criterion key: a new criterion is one small class and a decorator.

Each key registered here is also registered with `scenarios.criteria`, which scenario
validation asks: a key is valid exactly when something can score it.
"""

from collections.abc import Callable

from scenarios.criteria import BUILTIN_CRITERIA, register_criterion_key

__all__ = ["BUILTIN_CRITERIA", "evaluators", "register"]


_REGISTRY: dict[str, type] = {}


def register(key: str) -> Callable[[type], type]:
    def decorator(cls: type) -> type:
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"Evaluator key {key!r} is already registered.")
        cls.key = key
        _REGISTRY[key] = cls
        register_criterion_key(key)
        return cls

    return decorator


def evaluators() -> dict[str, type]:
    """Every registered evaluator: the built-in ones register when the app is ready."""
    return dict(_REGISTRY)
