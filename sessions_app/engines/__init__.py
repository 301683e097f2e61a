"""Customer engines: who plays the customer. `get_engine()` picks one by name or setting.

Only this package imports the `openai` SDK, and only when the OpenAI engine is chosen: a
process that never talks to a model server does not pay for loading it.
"""

from django.conf import settings

from sessions_app.engines.base import (
    OUTCOME_ESCALATED,
    OUTCOME_RESOLVED,
    CustomerEngine,
    CustomerReply,
    EngineError,
    Opening,
    ReplyResult,
    TokenBudgetExhausted,
    Turn,
)
from sessions_app.engines.offline import OfflineEngine

ENGINE_NAMES = ("offline", "openai")

__all__ = [
    "ENGINE_NAMES",
    "OUTCOME_ESCALATED",
    "OUTCOME_RESOLVED",
    "CustomerEngine",
    "CustomerReply",
    "EngineError",
    "Opening",
    "ReplyResult",
    "TokenBudgetExhausted",
    "Turn",
    "get_engine",
]


def get_engine(name: str | None = None) -> CustomerEngine:
    """The engine called `name` (a session keeps the engine it started with), else the one
    `settings.CUSTOMER_ENGINE` names. Unknown names fall back to the offline engine, which
    always works."""
    name = (name or settings.CUSTOMER_ENGINE or "offline").lower()
    if name == "openai":
        from sessions_app.engines.openai_compat import OpenAICompatEngine

        return OpenAICompatEngine()
    return OfflineEngine()
