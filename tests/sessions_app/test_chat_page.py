"""What the chat page derives from the scenario (issue 19): the persona card from the ticket
alone, the usual number of replies, and the mood line so far."""

from pathlib import Path

import pytest
import yaml

from performance.evaluators import efficiency
from scenarios.documents import ScenarioDocument
from sessions_app.selectors import expected_replies, persona_card
from sessions_app.services import customer_reply, message_post_agent, session_start
from tests.factories import scenario_document

LIBRARY = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "library").glob("*.yaml"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda path: path.stem)
def test_the_persona_card_of_every_library_scenario_gives_no_hidden_fact(path):
    document = yaml.safe_load(path.read_text())
    card = persona_card(document["ticket_template"])
    rows = card["background"] + card["technical_context"] + card["tried"]
    text = " ".join([card["issue"], card["goal"], *(f"{label} {value}" for label, value in rows)])
    persona = document["customer_persona"]
    for fact in persona.get("facts") or []:
        assert fact["answer"] not in text, fact["key"]
    for line in (persona["resolution"].get("confirm"), persona["resolution"].get("unresolved")):
        assert not line or line not in text
    # The whole ticket text is there, split into the issue and the rest
    assert f"{card['issue']} {card['goal']}".strip() == " ".join(
        document["ticket_template"]["description"].split()
    )


def test_earlier_attempts_on_the_ticket_are_what_they_tried():
    card = persona_card(
        {
            "description": "It broke again. Please help!",
            "customer_info": {"plan": "Fibre", "previous_contacts": "2 chats"},
            "technical_context": {"device": "HX-200", "steps_tried": "restarted it"},
        }
    )
    assert card["issue"] == "It broke again."
    assert card["goal"] == "Please help!"
    assert card["background"] == [("Plan", "Fibre")]
    assert card["technical_context"] == [("Device", "HX-200")]
    assert card["tried"] == [("Previous contacts", "2 chats"), ("Steps tried", "restarted it")]


@pytest.mark.parametrize(
    ("persona_changes", "expected"),
    [
        ({}, (4, 7)),  # greeting, 1 fact, 1 fix, close
        ({"facts": []}, (3, 6)),
        ({"resolution": {"requires": ["kb-reset", "kb-missing"]}}, (4, 7)),
    ],
)
def test_the_turn_estimate_is_the_efficiency_criterions_count(persona_changes, expected):
    document = scenario_document()
    document["customer_persona"].update(persona_changes)
    assert expected_replies(ScenarioDocument.read(document)) == expected
    assert expected[1] - expected[0] == efficiency.SPARE_REPLIES
    # The evaluator's formula (efficiency.py), on the same document
    persona = document["customer_persona"]
    kb = {entry["id"] for entry in document["knowledge_base_entries"]}
    required = [e for e in persona["resolution"]["requires"] if e in kb]
    assert expected[0] == 2 + len(persona.get("facts") or []) + len(required)


@pytest.mark.django_db
def test_the_page_shows_turns_and_the_mood_line_so_far(client_user, user, scenario):
    session = session_start(user=user, scenario=scenario)
    html = client_user.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="chat-turns">0<' in html
    assert "usually 4–7" in html
    assert html.count('class="chat-mood-mark"') == 1
    assert "At the start: </span>uneasy" in html  # an irritable customer

    posted = message_post_agent(session=session, content="I see.")
    customer_reply(session=session, reply_to=posted.message)
    html = client_user.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="chat-turns">1<' in html
    assert html.count('class="chat-mood-mark"') == 2
    assert "After turn 1: </span>frustrated" in html


@pytest.mark.django_db
def test_no_mood_line_for_a_trainee_who_hides_the_mood(client_user, user, scenario):
    user.preferences = {**(user.preferences or {}), "show_customer_mood": False}
    user.save(update_fields=["preferences"])
    session = session_start(user=user, scenario=scenario)
    html = client_user.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="chat-moods"' not in html
    assert 'id="chat-mood"' not in html
