"""Each evaluator on hand-written transcripts: a good and a bad example, the good one scoring
higher, with evidence pointing at the messages that earned (or cost) the score."""

from datetime import timedelta

import pytest
from django.utils import timezone

from performance.evaluators.base import Transcript
from performance.registry import BUILTIN_CRITERIA, evaluators
from tests.factories import scenario_document

START = timezone.now() - timedelta(hours=1)


def transcript(turns, *, outcome="resolved", minutes_per_turn=1, scenario=None, **overrides):
    messages = [
        {
            "id": f"m{i + 1}",
            "seq": i + 1,
            "role": role,
            "content": content,
            "created_at": START + timedelta(minutes=i * minutes_per_turn),
        }
        for i, (role, content) in enumerate(turns)
    ]
    return Transcript.build(
        scenario=scenario or scenario_document(**overrides),
        messages=messages,
        outcome=outcome,
        started_at=START,
        ended_at=messages[-1]["created_at"] if messages else START,
    )


def run(key, t):
    return evaluators()[key]().evaluate(t)


def ids(result):
    return {e.message_id for e in result.evidence}


def quotes(result):
    return [e.quote.lower() for e in result.evidence]


OPENING = ("customer", "My internet keeps cutting out every few minutes. Fix it.")


def test_every_builtin_criterion_has_an_evaluator():
    assert set(BUILTIN_CRITERIA) <= set(evaluators())


def test_greeting():
    good = transcript(
        [OPENING, ("agent", "Hi Dana, thanks for reaching out! I'm here to help you today.")]
    )
    bad = transcript([OPENING, ("agent", "Reset it.")])
    good_result, bad_result = run("greeting", good), run("greeting", bad)
    assert good_result.score == 100 > bad_result.score
    assert bad_result.score == 0
    assert ids(good_result) == {"m2"}
    assert {"hi", "dana"} <= set(quotes(good_result))
    assert "first reply" in bad_result.tip
    assert "Reset it." in bad_result.tip


def test_empathy():
    good = transcript(
        [
            OPENING,
            ("agent", "I'm so sorry about this, I understand how frustrating that is."),
            ("customer", "It's awful, I have been cut off all day and I am furious."),
            ("agent", "That sounds really stressful, I'm sorry. Let's fix it together."),
        ]
    )
    bad = transcript(
        [
            OPENING,
            ("agent", "What model is it."),
            ("customer", "It's awful, I have been cut off all day and I am furious."),
            ("agent", "Relax, as I said, what model is it."),
        ]
    )
    good_result, bad_result = run("empathy", good), run("empathy", bad)
    assert good_result.score >= 90
    assert bad_result.score == 0
    assert ids(good_result) == {"m2", "m4"}
    assert "m4" in ids(bad_result)
    assert "relax" in quotes(bad_result)
    assert bad_result.tip


def test_information_gathering_rewards_asking_early():
    patient = {"name": "Dana Reyes", "personality": {"patience": 5}}
    early = transcript(
        [OPENING, ("agent", "Hi Dana. What colour is the light on the front of the router?")]
    )
    late_turns = [OPENING]
    for n in range(3):
        late_turns += [("agent", f"Let me check step {n}."), ("customer", "OK.")]
    late_turns.append(("agent", "What colour is the light on the router?"))
    document = scenario_document()
    document["customer_persona"].update(patient)
    late = transcript(late_turns, scenario=document)
    never = transcript([OPENING, ("agent", "Please wait."), ("customer", "Fine.")])

    early_result, late_result, never_result = (
        run("information_gathering", t) for t in (early, late, never)
    )
    assert early_result.score == 100 > late_result.score > never_result.score == 0
    assert ids(early_result) == {"m2"}
    assert "colour" in quotes(early_result)[0]
    assert ids(late_result) == {"m8"}
    assert "only in your reply #4" in late_result.tip
    assert "never found out one key fact (light colour)." in never_result.tip


def test_information_gathering_counts_what_the_customer_released_not_keywords():
    """A statement that mentions the topic and a keyword list ask nothing: 0 facts learned."""
    for line in (
        "The light on these routers is often a bit odd, I'm afraid.",
        "light? colour? blinking?",
        "Hi Dana, sorry, frustrating: light colour when tried?",
    ):
        result = run("information_gathering", transcript([OPENING, ("agent", line)]))
        assert result.score == 0, line
    paraphrase = "What is the status indicator on the front panel doing?"
    assert run("information_gathering", transcript([OPENING, ("agent", paraphrase)])).score == 100


def test_information_gathering_word_forms_count():
    # "blinking" is an asked_by word; "lights" is a plural of another.
    result = run("information_gathering", transcript([OPENING, ("agent", "Are the lights on?")]))
    assert result.score == 100


def test_resolution_follows_the_fix_the_customer_confirmed():
    turns = [
        OPENING,
        ("agent", "Please hold the reset buton on the back for 10 secnds, then wait."),
        ("customer", "Oh, it's back up. Thanks!"),
    ]
    resolved = run("resolution", transcript(turns, outcome="resolved"))
    wrong_number = run(
        "resolution",
        transcript(
            [OPENING, ("agent", "Please hold the reset button for 30 seconds.")], outcome="ended"
        ),
    )
    not_delivered = run(
        "resolution",
        transcript(
            [OPENING, ("agent", "Try turning it off."), ("customer", "I want a manager.")],
            outcome="escalated",
        ),
    )
    assert resolved.score == 100
    assert {"m2", "m3"} <= ids(resolved)
    assert "reset buton" in quotes(resolved)
    # A wrong number is not "1 of 1 fixes delivered": at most 40, and the tip says why.
    assert wrong_number.score <= 40
    assert "Delivered" not in wrong_number.rationale
    assert "30 seconds" in wrong_number.tip
    assert "Reset the HX-200" in wrong_number.tip
    assert not_delivered.score == 0
    assert "knowledge base" in not_delivered.tip


def test_resolution_partial_delivery_scores_between():
    partial = run(
        "resolution",
        transcript([OPENING, ("agent", "Press the reset button please.")], outcome="ended"),
    )
    full = run(
        "resolution",
        transcript(
            [OPENING, ("agent", "Press the reset button for 10 seconds please.")], outcome="ended"
        ),
    )
    assert 0 < partial.score <= 40 < full.score == 100


def test_professionalism():
    good = transcript([OPENING, ("agent", "Thanks for your patience, let's sort this out.")])
    bad = transcript(
        [
            OPENING,
            ("agent", "Calm down."),
            ("customer", "Excuse me?"),
            ("agent", "THIS IS NOT MY PROBLEM!! It's your fault."),
        ]
    )
    good_result, bad_result = run("professionalism", good), run("professionalism", bad)
    assert good_result.score == 100
    assert bad_result.score == 0
    assert {"m2", "m4"} == ids(bad_result)
    assert "calm down" in quotes(bad_result)
    assert "not my problem" in " ".join(quotes(bad_result))
    assert "forbids" in bad_result.tip


def test_professionalism_apology_is_not_hostile_and_acronym_is_not_shouting():
    polite = transcript(
        [OPENING, ("agent", "I'm so sorry, that's awful and frustrating. Is the LED orange?")]
    )
    assert run("professionalism", polite).score == 100


def test_clarity_plain_language_for_a_novice():
    plain = transcript(
        [OPENING, ("agent", "Press the small button on the back. Hold it for ten seconds.")]
    )
    jargon = transcript(
        [
            OPENING,
            (
                "agent",
                "Your DHCP lease and DNS configuration are probably inconsistent, so please "
                "reconfigure the gateway parameters through the administrative interface and "
                "verify the MTU, because intermittent connectivity typically indicates "
                "misconfigured provisioning on the subscriber side.",
            ),
        ]
    )
    plain_result, jargon_result = run("clarity", plain), run("clarity", jargon)
    assert plain_result.score == 100
    assert jargon_result.score < 50
    assert ids(jargon_result) == {"m2"}
    assert {"dhcp", "dns"} <= set(quotes(jargon_result))
    assert "jargon" in jargon_result.tip


def test_clarity_is_lenient_with_advanced_customers():
    document = scenario_document()
    document["customer_persona"]["technical_level"] = "advanced"
    text = "Check the DNS resolver and the DHCP lease on the router."
    advanced = run("clarity", transcript([OPENING, ("agent", text)], scenario=document))
    novice = run("clarity", transcript([OPENING, ("agent", text)]))
    assert advanced.score > novice.score


def test_efficiency():
    quick = transcript(
        [OPENING, ("agent", "Hi, what colour is the light?"), ("agent", "Hold the reset button.")]
    )
    slow_turns = [OPENING]
    for _ in range(12):
        slow_turns += [
            ("agent", "Could you please check the router again for me?"),
            ("customer", "Same."),
        ]
    slow = transcript(slow_turns, minutes_per_turn=2)
    quick_result, slow_result = run("efficiency", quick), run("efficiency", slow)
    assert quick_result.score == 100
    assert slow_result.score < 40
    assert "m4" in ids(slow_result)  # the first repeat
    assert "more than once" in slow_result.tip


def test_efficiency_unresolved_is_capped():
    result = run(
        "efficiency", transcript([OPENING, ("agent", "Hi, try again.")], outcome="escalated")
    )
    assert result.score <= 60


def test_closing():
    fixed = ("agent", "Hold the reset button for 10 seconds.")
    close = (
        "agent",
        "Glad it's working! Is there anything else I can help with? Have a great day.",
    )
    good = transcript([OPENING, fixed, ("customer", "Oh, it's back up. Thanks!"), close])
    bad = transcript([OPENING, fixed, ("customer", "Thanks")])
    # The same words wrapping up a problem that was never fixed are not a good close.
    premature = transcript(
        [OPENING, ("agent", "Hold the reset button."), ("customer", "And then?"), close]
    )
    good_result, bad_result = run("closing", good), run("closing", bad)
    premature_result = run("closing", premature)
    assert good_result.score == 100
    assert bad_result.score == 0
    assert premature_result.score == 20
    assert "not fixed" in premature_result.rationale
    assert ids(good_result) == {"m4"}
    assert "anything else" in " ".join(quotes(good_result))
    assert "Hold the reset button for 10 seconds." in bad_result.tip


@pytest.mark.parametrize("key", BUILTIN_CRITERIA)
def test_no_agent_messages_scores_zero(key):
    result = run(key, transcript([OPENING]))
    assert result.score == 0
    assert result.rationale


@pytest.mark.parametrize("key", BUILTIN_CRITERIA)
def test_evidence_quotes_are_exact_substrings(key):
    turns = [
        OPENING,
        (
            "agent",
            "Hi Dana! I'm sorry. What colour is the LIGHT? Hold the Reset Button 10 seconds.",
        ),
        ("customer", "Oh, it's back up. Thanks!"),
        ("agent", "Great to hear. Anything else? Have a good day!"),
    ]
    t = transcript(turns)
    result = run(key, t)
    by_id = {m.id: m.content for m in t.messages}
    for item in result.evidence:
        assert item.quote in by_id[item.message_id]
