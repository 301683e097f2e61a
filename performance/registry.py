"""Evaluators registered by criterion key: a new criterion is one small class and a decorator.

Scenario validation asks this registry which keys exist, so a key is valid exactly when
something can score it.
"""

from collections.abc import Callable

BUILTIN_CRITERIA = (
    "greeting",
    "empathy",
    "information_gathering",
    "resolution",
    "professionalism",
    "clarity",
    "efficiency",
    "closing",
)

_REGISTRY: dict[str, type] = {}


def register(key: str) -> Callable[[type], type]:
    def decorator(cls: type) -> type:
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"Evaluator key {key!r} is already registered.")
        cls.key = key
        _REGISTRY[key] = cls
        return cls

    return decorator


def evaluators() -> dict[str, type]:
    import performance.evaluators  # noqa: F401  (registers the built-in evaluators)

    return dict(_REGISTRY)


def known_criterion_keys() -> set[str]:
    return set(evaluators()) | set(BUILTIN_CRITERIA)
