"""The bundled library: every file validates, imports, forms a learning path, and can be played
to resolution by a scripted good agent against the offline customer engine."""

from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from scenarios.loader import read_documents
from scenarios.models import Scenario
from scenarios.reading import model_for, read_message
from scenarios.validation import find_prerequisite_cycle, validate_scenario_document
from sessions_app.engines import OUTCOME_RESOLVED, Turn
from sessions_app.engines.offline import OfflineEngine

LIBRARY = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "library").glob("*.yaml"))
DOCUMENTS = {item.slug: item.document for item in read_documents(LIBRARY)}


def test_the_library_is_big_and_varied_enough():
    assert len(DOCUMENTS) >= 12
    difficulties = Counter(d["difficulty"] for d in DOCUMENTS.values())
    assert min(difficulties[level] for level in ("starter", "intermediate", "advanced")) >= 4
    categories = {d["ticket_template"]["category"] for d in DOCUMENTS.values()}
    assert len(categories) >= 6


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_each_file_is_one_valid_scenario_named_after_its_slug(path):
    (item,) = read_documents([path])
    assert validate_scenario_document(item.document) == []
    assert path.stem == item.slug


def test_prerequisites_form_a_learning_path():
    graph = {slug: set(d.get("prerequisites") or []) for slug, d in DOCUMENTS.items()}
    assert find_prerequisite_cycle(graph) is None
    for slug, document in DOCUMENTS.items():
        assert graph[slug] <= set(DOCUMENTS), slug
        if document["difficulty"] == "starter":
            assert not graph[slug], f"{slug}: starters are open to everyone"
        else:
            assert graph[slug], f"{slug}: needs a prerequisite to sit on the path"


@pytest.mark.parametrize("slug", sorted(DOCUMENTS))
def test_each_scenario_is_authored_for_the_engines(slug):
    document = DOCUMENTS[slug]
    persona = document["customer_persona"]
    assert 2 <= len(persona["facts"]) <= 4
    assert 1 <= persona["personality"]["patience"] <= 5
    assert persona["resolution"]["confirm"]
    assert persona["resolution"]["unresolved"]
    kb = {entry["id"]: entry for entry in document["knowledge_base_entries"]}
    assert 2 <= len(kb) <= 4
    assert 1 <= len(persona["resolution"]["requires"]) <= 2
    for fact in persona["facts"]:
        assert all(word == word.lower() for word in fact["asked_by"]), fact["key"]
    model = model_for(document)
    for entry in kb.values():
        assert 1 <= len(entry["key_phrases"]) <= 3
        # A trainee who tells the customer what the article says delivers its fix.
        reading = read_message(document, f"{entry['title']}. {entry['body']}")
        told = {p for step in reading.fixes if step.entry_id == entry["id"] for p in step.phrases}
        assert told == {p.text for p in model.entry(entry["id"]).phrases}, entry["id"]
    public = str(document["ticket_template"]) + document["description"] + document["title"]
    for fact in persona["facts"]:
        assert fact["answer"] not in public


@pytest.mark.django_db
def test_the_whole_library_imports_in_one_go():
    call_command("import_scenarios", *map(str, LIBRARY))
    assert Scenario.objects.active().count() == len(DOCUMENTS)
    chargeback = Scenario.objects.get(slug="chargeback-threat")
    assert sorted(chargeback.prerequisites.values_list("slug", flat=True)) == [
        "downgrade-prorated-refund",
        "third-call-no-callback",
    ]


def scripted_good_agent(document: dict) -> list[str]:
    """What a competent agent says, built from the scenario: greet with empathy, ask about each
    fact in plain words, then tell the required articles one at a time, in full sentences."""
    persona = document["customer_persona"]
    first_name = persona["name"].split()[0]
    kb = {entry["id"]: entry for entry in document["knowledge_base_entries"]}
    lines = [
        f"Hi {first_name}, thanks for reaching out. I'm sorry about this and I understand "
        "how frustrating it is. I'm here to help."
    ]
    for fact in persona["facts"]:
        lines.append(f"I understand. Could you tell me about the {fact['asked_by'][0]}?")
    for entry_id in persona["resolution"]["requires"]:
        entry = kb[entry_id]
        lines.append(f"Thank you for your patience. {entry['title']}. {entry['body']}")
    return lines


@pytest.mark.parametrize("slug", sorted(DOCUMENTS))
def test_a_scripted_good_agent_resolves_the_scenario(slug):
    document = DOCUMENTS[slug]
    engine = OfflineEngine()
    opening = engine.opening(scenario=document)
    transcript = [Turn("customer", opening.text)]
    state, outcome, revealed = opening.state, None, []
    for line in scripted_good_agent(document):
        transcript.append(Turn("agent", line))
        text, state, outcome = engine.respond(scenario=document, transcript=transcript, state=state)
        transcript.append(Turn("customer", text))
        revealed = state["revealed"]
        assert outcome in (None, OUTCOME_RESOLVED), f"customer gave up after: {line!r}"
        if outcome:
            break
    assert outcome == OUTCOME_RESOLVED
    assert transcript[-1].content == document["customer_persona"]["resolution"]["confirm"]
    assert set(revealed) == {fact["key"] for fact in document["customer_persona"]["facts"]}
