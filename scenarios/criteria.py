"""The criterion keys a scenario may weigh: the contract's built-in ones, and any more that an
app above registers (performance registers one per evaluator). Validation asks here, so
scenarios need not know who scores."""

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

_registered: set[str] = set()


def register_criterion_key(key: str) -> None:
    _registered.add(key)


def known_criterion_keys() -> set[str]:
    return set(BUILTIN_CRITERIA) | _registered
