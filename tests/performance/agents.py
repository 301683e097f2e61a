"""Scripted trainees for scoring tests: transcripts built straight from a scenario document.

The good agent does what every scenario's rubric asks (greets by name, acknowledges, asks for
each hidden fact, tells each required knowledge-base article in sentences, confirms, closes);
the rude and careless agents do what a trainee must not.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def _first_name(document: dict) -> str:
    persona = document.get("customer_persona") or {}
    return (persona.get("name") or "there").split()[0]


def good_agent(document: dict) -> list[tuple[str, str]]:
    persona = document.get("customer_persona") or {}
    facts = persona.get("facts") or []
    kb = {e["id"]: e for e in document.get("knowledge_base_entries") or []}
    requires = (persona.get("resolution") or {}).get("requires") or []
    turns = [("customer", document["ticket_template"]["description"])]
    questions = " ".join(f"Can you tell me about the {fact['asked_by'][0]}?" for fact in facts)
    turns.append(
        (
            "agent",
            f"Hi {_first_name(document)}, thanks for reaching out. I'm sorry about this, I "
            f"understand how frustrating it is. I'm here to help. {questions}".strip(),
        )
    )
    answers = " ".join(fact["answer"] for fact in facts) or "OK, go on."
    turns.append(("customer", answers))
    for entry_id in requires:
        entry = kb[entry_id]
        # The article in full sentences: key phrases pasted as fragments would earn nothing.
        turns.append(("agent", f"Thank you, that helps. {entry['title']}. {entry['body']}"))
        turns.append(("customer", "OK, done that."))
    confirm = (persona.get("resolution") or {}).get("confirm") or "That worked, thanks."
    turns.append(("customer", confirm))
    turns.append(
        (
            "agent",
            "Great to hear it's working now. Is there anything else I can help with? Thanks for "
            "contacting us, have a great day!",
        )
    )
    return turns


def rude_agent(document: dict) -> list[tuple[str, str]]:
    forbidden = (document.get("assessment_criteria") or {}).get("forbidden_phrases") or []
    persona = document.get("customer_persona") or {}
    unresolved = (persona.get("resolution") or {}).get("unresolved") or "I want a manager."
    phrase = forbidden[0] if forbidden else "calm down"
    return [
        ("customer", document["ticket_template"]["description"]),
        ("agent", f"{phrase.capitalize()}. This happens all the time."),
        ("customer", "Excuse me? That's not helpful at all."),
        ("agent", "THIS IS NOT MY PROBLEM!! You should have read the manual."),
        ("customer", unresolved),
    ]


def careless_agent(document: dict) -> list[tuple[str, str]]:
    """No forbidden words, just no effort: a one-line guess, then silence."""
    persona = document.get("customer_persona") or {}
    unresolved = (persona.get("resolution") or {}).get("unresolved") or "I want a manager."
    return [
        ("customer", document["ticket_template"]["description"]),
        ("agent", "ok. try again later"),
        ("customer", "That's it? It still doesn't work."),
        ("agent", "ok"),
        ("customer", unresolved),
    ]


def as_messages(turns: list[tuple[str, str]], *, start=None) -> list[dict]:
    """Message dicts for `Transcript.build`, one minute apart."""
    start = start or timezone.now() - timedelta(minutes=len(turns))
    return [
        {
            "id": f"m{index + 1}",
            "seq": index + 1,
            "role": role,
            "content": content,
            "created_at": start + timedelta(minutes=index),
        }
        for index, (role, content) in enumerate(turns)
    ]
