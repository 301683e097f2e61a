"""Whole sessions a trainee might use to game the simulator, played against the offline
customer and scored by the rubric: the cases reported when the customer reacted to trigger
words and a list of keywords scored like good work."""

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from performance.evaluators.base import Transcript
from performance.rubric import evaluate
from sessions_app.engines import Turn
from sessions_app.engines.offline import OfflineEngine
from tests.factories import scenario_document

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def play(document: dict, lines: list[str]):
    """(rubric result, transcript lines, outcomes) of the agent's lines against the customer."""
    engine = OfflineEngine()
    opening = engine.opening(scenario=document)
    turns, state, outcomes = [Turn("customer", opening.text)], opening.state, []
    for line in lines:
        turns.append(Turn("agent", line))
        text, state, outcome = engine.respond(scenario=document, transcript=turns, state=state)
        turns.append(Turn("customer", text))
        outcomes.append(outcome)
        if outcome == "escalated":
            break
    messages = [
        {
            "id": f"m{i}",
            "seq": i + 1,
            "role": turn.role,
            "content": turn.content,
            "created_at": START + dt.timedelta(seconds=40 * i),
        }
        for i, turn in enumerate(turns)
    ]
    outcome = (
        "escalated"
        if "escalated" in outcomes
        else ("resolved" if "resolved" in outcomes else "ended")
    )
    transcript = Transcript.build(
        scenario=document,
        messages=messages,
        outcome=outcome,
        started_at=START,
        ended_at=messages[-1]["created_at"],
    )
    return evaluate(transcript), turns, outcomes


def scores(result) -> dict[str, int]:
    return {c.key: c.score for c in result.criteria}


GOOD = [
    "Hi Dana, I'm sorry your internet keeps cutting out, that must be really frustrating. "
    "I'm here to help. What colour is the light on the front of the router?",
    "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes.",
    "Great to hear it's back. Is there anything else I can help with? Have a good evening.",
]


def test_a_list_of_keywords_scores_like_nothing():
    result, _turns, _ = play(
        scenario_document(),
        [
            "Hi Dana, sorry, I understand, frustrating, I'm here to help: light when tried? "
            "reset button 10 seconds. Anything else?"
        ],
    )
    by_key = scores(result)
    assert by_key["information_gathering"] == 0
    assert by_key["greeting"] == 0
    assert by_key["resolution"] == 0
    assert not result.passed
    assert result.total < 30


def test_a_wrong_number_is_not_a_delivered_fix():
    lines = [*GOOD[:1], "Thanks. Please hold the reset button on the back for 30 seconds."]
    result, turns, outcomes = play(scenario_document(), lines)
    resolution = next(c for c in result.criteria if c.key == "resolution").result
    assert "resolved" not in outcomes
    assert resolution.score <= 40
    assert "Delivered" not in resolution.rationale
    assert "30 seconds" in resolution.tip
    assert not result.passed
    assert "still" in turns[-1].content.lower() or "no change" in turns[-1].content.lower()


def test_following_the_knowledge_base_wording_is_not_a_forbidden_phrase():
    document = scenario_document()
    document["assessment_criteria"]["forbidden_phrases"].append("your fault")
    lines = [GOOD[0], "It's not your fault at all. " + GOOD[1], GOOD[2]]
    result, _turns, outcomes = play(document, lines)
    assert "resolved" in outcomes
    assert result.forbidden_hits == []
    assert result.passed


def test_wrong_advice_costs_professionalism_and_resolution():
    document = yaml.safe_load((LIBRARY / "dashboard-blank-after-update.yaml").read_text())
    lines = [
        "Hi Tom, I'm sorry the dashboard is blank, I know you have a report due. "
        "Which browser are you using?",
        "Try uninstalling Chrome and reinstalling it.",
    ]
    result, turns, _ = play(document, lines)
    by_key = scores(result)
    assert by_key["professionalism"] <= 85
    assert by_key["resolution"] == 0
    assert not result.passed
    customer = turns[-1].content.lower()
    assert any(word in customer for word in ("still", "nothing", "no change", "did nothing"))


def test_a_patience_one_customer_remembers_stonewalling():
    document = scenario_document()
    document["customer_persona"]["personality"] = {"patience": 1, "temperament": "irritable"}
    _result, _turns, outcomes = play(
        document,
        [
            "I'm so sorry, I completely understand how frustrating this is.",
            "We're looking into it.",
            "Thanks for bearing with us.",
            "The team is on it.",
        ],
    )
    assert outcomes[-1] == "escalated"
    assert len(outcomes) <= 3


def test_one_kind_line_does_not_calm_an_impatient_customer():
    document = scenario_document()
    document["customer_persona"]["personality"] = {"patience": 1, "temperament": "irritable"}
    engine = OfflineEngine()
    opening = engine.opening(scenario=document)
    turns = [Turn("customer", opening.text), Turn("agent", "I'm so sorry, I understand.")]
    _text, state, _ = engine.respond(scenario=document, transcript=turns, state=opening.state)
    assert state["mood"] != "calm"


@pytest.mark.parametrize(
    "line", ["You are useless, what's the light doing?", "Calm down. What colour is the light?"]
)
def test_an_insult_is_not_a_good_question(line):
    document = scenario_document()
    document["customer_persona"]["personality"] = {"patience": 5}
    document["customer_persona"]["communication_style"] = {"tone": "friendly"}
    _result, turns, _ = play(document, [line])
    assert "good question" not in turns[-1].content.lower()


def test_a_greeting_ticket_is_not_greeted_twice():
    document = yaml.safe_load((LIBRARY / "double-charge-refund.yaml").read_text())
    opening = OfflineEngine().opening(scenario=document)
    assert len(re.findall(r"\bhi\b", opening.text.lower())) == 1
    assert not opening.text.startswith("Hi there! Hi")


def test_tips_describe_behaviour_not_words_to_type():
    result, _turns, _ = play(scenario_document(), ["ok", "what now"])
    for criterion in result.criteria:
        assert "e.g. mention" not in criterion.result.tip
        assert "“Hi " not in criterion.result.tip


def test_good_work_passes_and_outscores_every_shortcut():
    good, _, _ = play(scenario_document(), GOOD)
    stuffer, _, _ = play(
        scenario_document(), ["hi sorry frustrating", "light? when?", "reset button 10 seconds"]
    )
    wrong, _, _ = play(scenario_document(), [GOOD[0], "Please restart your router."])
    assert good.passed
    assert good.total > wrong.total > stuffer.total
    assert not wrong.passed
    assert not stuffer.passed
