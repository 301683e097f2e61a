"""How a conversation is read: one typed record per agent message, shared by the customer and
the rubric (see docs/scoring.md, "How a conversation is read")."""

from sessions_app.reading.reader import read_message
from sessions_app.reading.scenario import model_for
from sessions_app.reading.turn import TurnReading

__all__ = ["TurnReading", "model_for", "read_message"]
