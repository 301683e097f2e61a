"""The conversation every simulated trainee holds, shared by the app run and the references.

A patient customer (patience 5) so that no run escalates mid-measure, and polite agent lines
that ask for facts without delivering the fix, so the session stays active for every turn.
"""

from pathlib import Path

LIBRARY_FILE = Path(__file__).resolve().parent.parent / "scenarios/library/router-reboot-loop.yaml"

CHAT_SLUG = "chat-bench-router"
CHAT_EMAIL_DOMAIN = "chat.bench.example.com"

AGENT_LINES = [
    "Hello, thanks for contacting us. I'm sorry your connection keeps dropping. "
    "Could you tell me what the light on the front of the router looks like?",
    "Thank you, that helps a lot. I understand how frustrating this must be. "
    "How long has it been happening?",
    "I appreciate your patience. Is anything else plugged into the router right now?",
    "Thanks for checking. I'm sorry for the trouble, we will get this sorted together.",
]


def chat_scenario_document() -> dict:
    from scenarios.loader import read_documents

    document = read_documents([LIBRARY_FILE])[0].document
    document["slug"] = CHAT_SLUG
    document["title"] = "Bench: router stuck in a reboot loop"
    document["prerequisites"] = []
    document["customer_persona"]["personality"] = {"patience": 5, "temperament": "calm"}
    return document


def reference_reply() -> str:
    """What the offline engine answers to the first line: the bytes the references stream."""
    from sessions_app.engines.base import Turn
    from sessions_app.engines.offline import OfflineEngine

    scenario = chat_scenario_document()
    engine = OfflineEngine()
    opening = engine.opening(scenario=scenario)
    transcript = [Turn(role="customer", content=opening.text), Turn("agent", AGENT_LINES[0])]
    text, _, _ = engine.respond(scenario=scenario, transcript=transcript, state=opening.state)
    return text
