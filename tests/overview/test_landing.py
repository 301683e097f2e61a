"""The landing page's sample conversation shows the product without giving away how any bundled
scenario is solved."""

from pathlib import Path

import pytest
import yaml
from django.utils.html import escape

LIBRARY = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "library").glob("*.yaml"))


def _secrets(document: dict):
    """What a trainee has to find out or work out in a scenario: its fixes (every knowledge-base
    key phrase and article), the customer's hidden facts and the lines that end it."""
    persona = document["customer_persona"]
    for entry in document["knowledge_base_entries"]:
        yield from entry.get("key_phrases") or []
        yield entry["body"]
    for fact in persona.get("facts") or []:
        yield fact["answer"]
    yield persona["resolution"]["confirm"]


@pytest.mark.django_db
def test_the_sample_chat_gives_no_bundled_scenario_away(client):
    html = client.get("/").content.decode()
    demo = html.split('class="card demo-chat"', 1)[1].split("</figure>", 1)[0]
    text = demo.casefold()
    assert "demo-msg-agent" in demo  # there is still a conversation to show
    assert LIBRARY
    for path in LIBRARY:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["title"].casefold() not in text, path.name
        for secret in _secrets(document):
            for form in {secret.casefold(), escape(secret).casefold()}:
                assert form not in text, (path.name, secret)
