import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from scenarios.exceptions import ScenarioImportError
from scenarios.loader import SourcedDocument, dump_documents
from scenarios.models import Scenario
from scenarios.services import scenarios_export, scenarios_import
from tests.factories import ScenarioFactory, scenario_document

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(content), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return str(path)


def import_files(*paths):
    call_command("import_scenarios", *paths)


def refused(*paths) -> str:
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        import_files(*paths)
    assert snapshot() == before, "a refused import changed the database"
    return str(caught.value)


def snapshot():
    return [
        (s.slug, s.title, s.to_document())
        for s in Scenario.objects.order_by("slug").prefetch_related("prerequisites")
    ]


def test_a_valid_file_creates_then_updates_by_slug(tmp_path, capsys):
    path = write(tmp_path, "router.yaml", scenario_document())
    import_files(path)
    assert "1 created" in capsys.readouterr().out
    scenario = Scenario.objects.get(slug="router-reboot-loop")
    assert scenario.to_document() == scenario_document()
    assert scenario.category == "connectivity"

    write(tmp_path, "router.yaml", scenario_document(title="Router reboots, again"))
    import_files(path)
    assert "1 updated" in capsys.readouterr().out
    assert Scenario.objects.get().title == "Router reboots, again"


def test_a_list_file_and_a_json_file_with_prerequisites_across_files(tmp_path):
    basics = write(
        tmp_path,
        "basics.yaml",
        [scenario_document(slug="a-basic"), scenario_document(slug="b-basic")],
    )
    # The dependent file comes first: prerequisites are resolved after every file is read.
    advanced = write(
        tmp_path,
        "advanced.json",
        scenario_document(slug="c-advanced", prerequisites=["a-basic", "b-basic"]),
    )
    import_files(advanced, basics)
    advanced_scenario = Scenario.objects.get(slug="c-advanced")
    assert sorted(advanced_scenario.prerequisites.values_list("slug", flat=True)) == [
        "a-basic",
        "b-basic",
    ]


def test_a_prerequisite_may_be_a_scenario_already_stored(tmp_path):
    ScenarioFactory(slug="stored-first")
    import_files(
        write(tmp_path, "x.yaml", scenario_document(slug="x", prerequisites=["stored-first"]))
    )
    assert Scenario.objects.get(slug="x").prerequisites.get().slug == "stored-first"


def test_optional_fields_get_defaults(tmp_path):
    document = scenario_document()
    for key in ("description", "estimated_time", "xp_reward", "is_active", "prerequisites"):
        del document[key]
    import_files(write(tmp_path, "minimal.yaml", document))
    scenario = Scenario.objects.get()
    assert (scenario.estimated_time, scenario.xp_reward, scenario.is_active) == (10, 50, True)


def _bad(mutate):
    document = scenario_document(slug="broken-one")
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("mutate", "expected_path", "expected_words"),
    [
        pytest.param(
            lambda d: d["customer_persona"].update(technical_level="wizard"),
            "customer_persona.technical_level",
            "novice",
            id="bad-enum",
        ),
        pytest.param(lambda d: d.pop("difficulty"), "difficulty", "missing", id="missing-field"),
        pytest.param(
            lambda d: d["customer_persona"]["facts"].append(
                {"key": "x", "asked_by": "light", "answer": "a"}
            ),
            "customer_persona.facts[1].asked_by",
            "array",
            id="nested-path",
        ),
        pytest.param(
            lambda d: d["customer_persona"]["resolution"].update(requires=["kb-nowhere"]),
            "customer_persona.resolution.requires[0]",
            "kb-nowhere",
            id="unknown-kb-id",
        ),
        pytest.param(
            lambda d: d["assessment_criteria"]["criteria"].append(
                {"key": "telepathy", "weight": 5}
            ),
            "assessment_criteria.criteria[5].key",
            "telepathy",
            id="unknown-criterion",
        ),
        pytest.param(
            lambda d: d.update(prerequisites=["no-such-scenario"]),
            "prerequisites[0]",
            "no-such-scenario",
            id="unknown-prerequisite",
        ),
        pytest.param(
            lambda d: d.update(prerequisites=["broken-one"]),
            "prerequisites",
            "own prerequisite",
            id="self-prerequisite",
        ),
    ],
)
def test_an_invalid_scenario_is_refused_naming_file_scenario_and_field(
    tmp_path, mutate, expected_path, expected_words
):
    ScenarioFactory(slug="already-here", title="Already here")
    path = write(tmp_path, "broken.yaml", _bad(mutate))
    message = refused(path)
    assert f"{path}: scenario “broken-one”: {expected_path}: " in message
    assert expected_words in message
    assert "nothing was imported" in message


def test_a_prerequisite_cycle_is_refused(tmp_path):
    path = write(
        tmp_path,
        "cycle.yaml",
        [
            scenario_document(slug="a", prerequisites=["c"]),
            scenario_document(slug="b", prerequisites=["a"]),
            scenario_document(slug="c", prerequisites=["b"]),
        ],
    )
    message = refused(path)
    assert "prerequisites: prerequisites form a cycle: a → c → b → a" in message


def test_a_cycle_through_a_stored_scenario_is_refused(tmp_path):
    stored = write(tmp_path, "stored.yaml", scenario_document(slug="stored", prerequisites=[]))
    import_files(stored)
    child = write(tmp_path, "child.yaml", scenario_document(slug="child", prerequisites=["stored"]))
    import_files(child)
    # Now make the stored scenario depend on its own dependant.
    write(tmp_path, "stored.yaml", scenario_document(slug="stored", prerequisites=["child"]))
    message = refused(stored)
    assert "scenario “stored”" in message
    assert "cycle" in message


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "slug: x\ntitle: [unclosed\ndifficulty: starter\n")
    message = refused(path)
    assert path in message
    assert "line" in message
    assert "not valid YAML" in message


def test_malformed_json_names_the_file(tmp_path):
    path = write(tmp_path, "bad.json", '{"slug": "x",}')
    message = refused(path)
    assert f"{path}: line 1" in message
    assert "not valid JSON" in message


def test_a_key_written_twice_is_refused(tmp_path):
    path = write(tmp_path, "twice.yaml", "slug: a\nslug: b\n")
    assert "appears twice" in refused(path)


def test_one_bad_file_among_good_ones_imports_nothing(tmp_path):
    good = write(tmp_path, "good.yaml", scenario_document(slug="good-one"))
    bad_document = scenario_document(slug="bad-one")
    bad_document["ticket_template"]["priority"] = "urgent"
    bad = write(tmp_path, "bad.yaml", bad_document)
    also_good = write(tmp_path, "also-good.yaml", scenario_document(slug="also-good"))
    message = refused(good, bad, also_good)
    assert f"{bad}: scenario “bad-one”: ticket_template.priority" in message
    assert Scenario.objects.count() == 0


def test_the_same_slug_in_two_files_is_refused(tmp_path):
    first = write(tmp_path, "one.yaml", scenario_document())
    second = write(tmp_path, "two.yaml", scenario_document())
    message = refused(first, second)
    assert f"also used in {first}" in message


def test_every_problem_is_reported_at_once():
    bad = scenario_document(slug="two-problems", difficulty="expert", prerequisites=["ghost"])
    with pytest.raises(ScenarioImportError) as caught:
        scenarios_import(documents=[SourcedDocument("inline.yaml", bad)])
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {"difficulty", "prerequisites[0]"}


def test_a_missing_file_is_reported(tmp_path):
    assert "no such file" in refused(str(tmp_path / "nowhere.yaml"))


def test_the_command_exits_non_zero_on_a_bad_file(tmp_path):
    path = write(tmp_path, "bad.yaml", "slug: [\n")
    completed = subprocess.run(
        [sys.executable, "manage.py", "import_scenarios", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert "bad.yaml" in completed.stderr
    assert "not valid YAML" in completed.stderr


def test_export_import_export_is_byte_identical(tmp_path):
    library = sorted((ROOT / "scenarios" / "library").glob("*.yaml"))
    import_files(*map(str, library))
    first = tmp_path / "first.yaml"
    call_command("export_scenarios", "-o", str(first))
    Scenario.objects.update(title="changed")  # the import must bring everything back
    import_files(str(first))
    second = tmp_path / "second.yaml"
    call_command("export_scenarios", "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert "title: changed" not in second.read_text()


def test_a_round_trip_loses_nothing(tmp_path):
    document = scenario_document(slug="rich", prerequisites=["base"])
    document["ticket_template"]["customer_info"]["since"] = "2021-04-01"  # stays text
    document["customer_persona"]["extra_note"] = "authors may add fields"
    document["knowledge_base_entries"][0]["body"] = "Line one.\nLine two."
    import_files(write(tmp_path, "all.yaml", [scenario_document(slug="base"), document]))
    exported = yaml.safe_load(scenarios_export(slugs=["rich"]))
    assert exported == document


def test_export_one_slug_writes_one_scenario_to_stdout(capsys):
    ScenarioFactory(slug="only-me")
    ScenarioFactory(slug="not-me")
    call_command("export_scenarios", "--slug", "only-me")
    exported = yaml.safe_load(capsys.readouterr().out)
    assert isinstance(exported, dict)
    assert exported["slug"] == "only-me"


def test_export_of_an_unknown_slug_fails():
    with pytest.raises(CommandError, match="ghost"):
        call_command("export_scenarios", "--slug", "ghost")


def test_export_keeps_the_contract_key_order():
    text = dump_documents([scenario_document()])
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0] != " "]
    assert keys[:4] == ["slug", "title", "description", "difficulty"]
    assert "asked_by: [light, led, colour, color, blinking]" in text


def test_a_dry_run_lists_what_would_change_and_writes_nothing(tmp_path, capsys):
    router = write(tmp_path, "router.yaml", scenario_document())
    import_files(router)
    capsys.readouterr()
    changed = write(tmp_path, "router.yaml", scenario_document(title="Router reboots, again"))
    new = write(tmp_path, "new.yaml", scenario_document(slug="brand-new", title="Brand new"))
    before = snapshot()

    call_command("import_scenarios", changed, new, "--dry-run")

    out = capsys.readouterr().out
    assert "create     brand-new" in out
    assert "update     router-reboot-loop" in out
    assert ": title" in out
    assert "Dry run: 1 to create, 1 to update, 0 unchanged. Nothing was changed." in out
    assert snapshot() == before


def test_a_dry_run_refuses_a_bad_file_like_the_import(tmp_path):
    bad = write(tmp_path, "bad.yaml", {**scenario_document(), "difficulty": "legendary"})
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_scenarios", bad, "--dry-run")
    assert not Scenario.objects.exists()
