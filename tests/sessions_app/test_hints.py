"""Opt-in hints: what they advise at each point of a conversation, that they never give away a
fact's answer or a fix's key phrases, and how they are stored, limited and paid for."""

import re
from pathlib import Path

import pytest
import yaml

from sessions_app import hints
from sessions_app.engines.customer import CustomerState
from sessions_app.exceptions import HintLimitReached, SessionNotActive
from sessions_app.models import SessionHint
from sessions_app.services import customer_reply, message_post_agent, session_end, session_hint
from tests.factories import scenario_document
from tests.sessions_app.test_engine_offline import Conversation

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
GREETING = "Hi Dana, I'm Sam from support. I'm sorry the connection keeps dropping."
ASK_LIGHT = "What colour is the light on the front of the router?"
HALF_FIX = "Please find the reset button on the back of the router."
WHOLE_FIX = "Hold the reset button on the back for 10 seconds, then wait two minutes."


def advice_after(*said: str, scenario: dict | None = None) -> hints.Advice:
    scenario = scenario or scenario_document()
    conversation = Conversation(scenario)
    for text in said:
        conversation.say(text)
    state = CustomerState.load(conversation.state)
    return hints.advise(scenario, state, agent_replies=len(said))


# ---- what a hint says -------------------------------------------------------------------------


def test_before_the_first_reply_the_hint_is_to_greet_and_ask_the_first_question():
    advice = advice_after()
    assert advice.kind == hints.KIND_GREET
    assert "Greet Dana" in advice.text
    assert "the light colour" in advice.text


def test_a_greeting_without_a_question_leads_to_the_question_still_to_ask():
    advice = advice_after(GREETING)
    assert advice.kind == hints.KIND_ASK
    assert "ask about the light colour" in advice.text


def test_once_the_customer_has_told_everything_the_hint_names_the_article():
    advice = advice_after(GREETING, ASK_LIGHT)
    assert advice.kind == hints.KIND_FIX
    assert "“Reset the HX-200”" in advice.text


def test_half_a_fix_is_named_as_half_done():
    advice = advice_after(GREETING, ASK_LIGHT, HALF_FIX)
    assert advice.kind == hints.KIND_FINISH_FIX
    assert "started on “Reset the HX-200”" in advice.text


def test_after_the_fix_worked_the_hint_is_to_close():
    advice = advice_after(GREETING, ASK_LIGHT, WHOLE_FIX)
    assert advice.kind == hints.KIND_CLOSE


def test_an_angry_customer_is_calmed_before_anything_else():
    scenario = scenario_document()
    conversation = Conversation(scenario)
    conversation.say("Hello.")
    conversation.say("ok")
    state = CustomerState.load(conversation.state)
    assert state.mood in ("frustrated", "angry")
    advice = hints.advise(scenario, state, agent_replies=2)
    assert advice.kind == hints.KIND_CALM
    assert f"Dana is {state.mood}" in advice.text


def test_a_fact_with_a_code_for_a_key_is_named_by_its_topics():
    scenario = scenario_document()
    scenario["customer_persona"]["facts"][0]["key"] = "f1"
    advice = advice_after(GREETING, scenario=scenario)
    assert "ask about “light” or “led”" in advice.text


def test_a_time_fact_reads_as_when_it_started():
    scenario = scenario_document()
    scenario["customer_persona"]["facts"][0]["key"] = "since_when"
    assert "ask about when it started" in advice_after(GREETING, scenario=scenario).text


def _secrets(scenario: dict) -> list[str]:
    """What a hint must never say: each fact's answer, each key phrase of a required fix that
    the article's title does not already show, and the customer's confirm line."""
    persona = scenario["customer_persona"]
    resolution = persona.get("resolution") or {}
    required = set(resolution.get("requires") or [])
    secrets = [fact["answer"] for fact in persona.get("facts") or []]
    for entry in scenario.get("knowledge_base_entries") or []:
        if entry["id"] in required:
            title = entry["title"].casefold()
            secrets += [p for p in entry.get("key_phrases") or [] if p.casefold() not in title]
    secrets.append(resolution.get("confirm") or "")
    return [secret for secret in secrets if secret.strip()]


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_hint_on_the_way_through_a_bundled_scenario_gives_a_secret_away(path):
    """Walks each bundled scenario state by state (every fact revealed in turn, then every fix
    heard in part and in whole) and reads the hint at each step."""
    scenario = yaml.safe_load(path.read_text())
    state = CustomerState.start(scenario)
    texts = [hints.advise(scenario, state, agent_replies=0).text]
    for fact in scenario["customer_persona"].get("facts") or []:
        texts.append(hints.advise(scenario, state, agent_replies=1).text)
        state.revealed.append(fact["key"])
    entries = {entry["id"]: entry for entry in scenario.get("knowledge_base_entries") or []}
    for entry_id in (scenario["customer_persona"].get("resolution") or {}).get("requires") or []:
        texts.append(hints.advise(scenario, state, agent_replies=2).text)
        state.heard[entry_id] = list(entries[entry_id].get("key_phrases") or [])[:1]
        texts.append(hints.advise(scenario, state, agent_replies=3).text)
        state.delivered.append(entry_id)
    texts.append(hints.advise(scenario, state, agent_replies=4).text)
    assert len(set(texts)) >= 3  # the advice moves on as the conversation does
    for text in texts:
        folded = text.casefold()
        for secret in _secrets(scenario):
            assert secret.casefold() not in folded, (text, secret)
        titles = " ".join(entry["title"] for entry in entries.values())
        for number in re.findall(r"\d+", text):
            assert number in titles, (text, number)


# ---- stored, limited, paid for --------------------------------------------------------------


@pytest.fixture
def live(db, user, scenario):
    from sessions_app.services import session_start

    return session_start(user=user, scenario=scenario)


def say(session, text: str):
    posted = message_post_agent(session=session, content=text)
    customer_reply(session=session, reply_to=posted.message)


def test_a_hint_is_stored_with_the_moment_it_was_given(live):
    say(live, GREETING)
    given = session_hint(session=live)
    assert given.created
    assert given.used == 1
    hint = given.hint
    assert (hint.kind, hint.replies, hint.after_seq) == (hints.KIND_ASK, 1, 3)
    assert SessionHint.objects.filter(session=live).count() == 1


def test_asking_again_before_anything_new_is_said_costs_nothing_more(live):
    first = session_hint(session=live)
    again = session_hint(session=live)
    assert not again.created
    assert again.hint.pk == first.hint.pk
    assert live.hints.count() == 1


def test_a_session_allows_three_hints(live):
    for text in (GREETING, ASK_LIGHT, HALF_FIX):
        say(live, text)
        session_hint(session=live)
    say(live, "Hold it down for 10 seconds, then wait two minutes.")
    with pytest.raises(HintLimitReached):
        session_hint(session=live)
    assert live.hints.count() == hints.LIMIT


def test_an_ended_session_gives_no_hint(live):
    session_end(session=live)
    with pytest.raises(SessionNotActive):
        session_hint(session=live)
    assert not live.hints.exists()


def test_a_session_whose_state_an_older_version_stored_is_read_from_its_transcript(live):
    say(live, GREETING)
    say(live, ASK_LIGHT)
    type(live).objects.filter(pk=live.pk).update(engine_state={"v": 1, "mood": "calm"})
    assert session_hint(session=live).hint.kind == hints.KIND_FIX
