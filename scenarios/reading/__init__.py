"""How a conversation is read: one typed record per agent message, shared by the customer and
the rubric (see docs/scoring.md, "How a conversation is read")."""

from scenarios.reading.reader import read_message
from scenarios.reading.scenario import model_for
from scenarios.reading.turn import TurnReading

__all__ = ["TurnReading", "model_for", "read_message"]
