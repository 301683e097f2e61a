"""Built-in evaluators; each module registers its class with `performance.registry`.

Adding a criterion: write a module with one `Evaluator` subclass decorated with
`@register("key")` and import it here.
"""

from performance.evaluators import (  # noqa: F401
    clarity,
    closing,
    efficiency,
    empathy,
    greeting,
    information_gathering,
    professionalism,
    resolution,
)
from performance.evaluators.base import CriterionResult, Evaluator, Evidence, Transcript

__all__ = ["CriterionResult", "Evaluator", "Evidence", "Transcript"]
