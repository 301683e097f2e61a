import pytest
from django.core.exceptions import ValidationError

from scenarios.validation import find_prerequisite_cycle, validate_scenario_document
from tests.factories import ScenarioFactory, scenario_document

pytestmark = pytest.mark.django_db


def paths(document):
    return [p.path for p in validate_scenario_document(document)]


def test_the_contract_example_is_valid():
    assert validate_scenario_document(scenario_document()) == []


def test_a_bad_enum_names_the_field():
    document = scenario_document()
    document["customer_persona"]["technical_level"] = "wizard"
    problems = validate_scenario_document(document)
    assert [p.path for p in problems] == ["customer_persona.technical_level"]
    assert "novice" in problems[0].message


def test_a_missing_field_is_named():
    document = scenario_document()
    del document["title"]
    assert paths(document) == ["title"]


def test_nested_paths_use_indexes():
    document = scenario_document()
    document["customer_persona"]["facts"].append({"key": "x", "asked_by": "light", "answer": "a"})
    assert paths(document) == ["customer_persona.facts[1].asked_by"]


def test_unknown_kb_reference_and_unknown_criterion():
    document = scenario_document()
    document["customer_persona"]["resolution"]["requires"] = ["kb-missing"]
    document["assessment_criteria"]["criteria"].append({"key": "telepathy", "weight": 5})
    assert paths(document) == [
        "customer_persona.resolution.requires[0]",
        "assessment_criteria.criteria[5].key",
    ]


@pytest.mark.parametrize("weight", [0, -3])
def test_weights_must_be_positive(weight):
    document = scenario_document()
    document["assessment_criteria"]["criteria"][0]["weight"] = weight
    assert paths(document) == ["assessment_criteria.criteria[0].weight"]


@pytest.mark.parametrize("pass_score", [-1, 101])
def test_pass_score_is_0_to_100(pass_score):
    document = scenario_document()
    document["assessment_criteria"]["pass_score"] = pass_score
    assert paths(document) == ["assessment_criteria.pass_score"]


def test_self_prerequisite_is_refused():
    assert paths(scenario_document(prerequisites=["router-reboot-loop"])) == ["prerequisites"]


def test_cycles_are_found():
    assert find_prerequisite_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_prerequisite_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "ticket_template",
            {"priority": "urgent", "category": "x", "description": "d"},
            "priority",
        ),
        ("customer_persona", "not an object", "customer_persona"),
        ("knowledge_base_entries", [{"id": "kb-reset"}], "title"),
        ("assessment_criteria", {"criteria": []}, "criteria"),
    ],
)
def test_model_clean_rejects_invalid_json_naming_the_field(field, value, expected):
    scenario = ScenarioFactory.build(slug="bad-one", **{field: value})
    with pytest.raises(ValidationError) as caught:
        scenario.full_clean()
    assert field in caught.value.message_dict
    assert expected in " ".join(caught.value.message_dict[field])
