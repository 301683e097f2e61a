"""Issue 19 (author): importing a scenario file in the admin, with a dry run before anything is
written, the `import_scenarios` command's checks and its whole-file refusal."""

import json
import re

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from scenarios import admin_import
from scenarios.models import Scenario
from tests.factories import ROUTER_SCENARIO, ScenarioFactory, UserFactory, scenario_document

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scenarios_scenario_changelist")
UPLOAD = reverse("admin:scenarios_scenario_import")
PREVIEW = reverse("admin:scenarios_scenario_import_preview")


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def stored(db):
    """Two stored scenarios: one the file leaves as it is, one it changes."""
    same = ScenarioFactory(slug="router-reboot-loop", title=ROUTER_SCENARIO["title"])
    changing = ScenarioFactory(slug="parcel-stuck", title="Parcel stuck", xp_reward=50)
    return {"same": same, "changing": changing}


def yaml_file(documents, name="scenarios.yaml", content_type="application/x-yaml"):
    text = yaml.safe_dump(documents, sort_keys=False, allow_unicode=True)
    return SimpleUploadedFile(name, text.encode(), content_type=content_type)


def three_documents() -> list[dict]:
    return [
        scenario_document(slug="printer-offline", title="Office printer offline"),
        scenario_document(
            slug="parcel-stuck", title="Parcel stuck", xp_reward=80, description="Changed."
        ),
        scenario_document(),  # identical to the stored router scenario
    ]


def snapshot() -> list[dict]:
    return [s.to_document() for s in Scenario.objects.order_by("slug")]


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


def test_the_changelist_offers_the_import(admin_client):
    page = html(admin_client.get(CHANGELIST))
    assert f'href="{UPLOAD}"' in page
    assert "Import scenarios" in page


def test_a_valid_file_is_previewed_then_imported_on_confirmation(admin_client, stored):
    before = snapshot()
    response = admin_client.post(UPLOAD, {"file": yaml_file(three_documents())})
    assert response.status_code == 302
    assert response["Location"] == PREVIEW
    assert snapshot() == before, "the upload alone must write nothing"

    preview = admin_client.get(PREVIEW)
    assert preview.status_code == 200
    page = html(preview)
    created = re.search(r'<tr class="plan-created">(.*?)</tr>', page, re.S).group(1)
    updated = re.search(r'<tr class="plan-updated">(.*?)</tr>', page, re.S).group(1)
    unchanged = re.search(r'<tr class="plan-unchanged">(.*?)</tr>', page, re.S).group(1)
    assert "printer-offline" in created
    assert "parcel-stuck" in updated
    assert "<code>description</code>, <code>xp_reward</code>" in updated
    assert "title" not in re.sub(r"<th[^>]*>.*?</th>", "", updated)  # the title did not change
    assert "router-reboot-loop" in unchanged
    assert "create 1, update 1 and leave 1 scenario as they are" in text(preview)
    assert snapshot() == before, "the dry run must write nothing"

    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    plan = re.search(r'name="plan" value="([^"]+)"', page).group(1)
    confirmed = admin_client.post(PREVIEW, {"token": token, "plan": plan})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == CHANGELIST
    assert Scenario.objects.get(slug="printer-offline").title == "Office printer offline"
    changed = Scenario.objects.get(slug="parcel-stuck")
    assert (changed.xp_reward, changed.description) == (80, "Changed.")
    assert Scenario.objects.count() == 3
    listing = admin_client.get(CHANGELIST)
    assert "Imported scenarios.yaml: 1 created, 1 updated, 1 unchanged." in text(listing)
    assert "Office printer offline" in html(listing)

    # The pending file is gone: confirming again imports nothing twice.
    again = admin_client.post(PREVIEW, {"token": token, "plan": plan})
    assert again.status_code == 302
    assert again["Location"] == UPLOAD


def test_a_json_file_with_one_scenario_is_accepted(admin_client):
    upload = SimpleUploadedFile(
        "one.json", json.dumps(scenario_document(slug="json-one")).encode(), "application/json"
    )
    assert admin_client.post(UPLOAD, {"file": upload})["Location"] == PREVIEW
    assert "json-one" in html(admin_client.get(PREVIEW))


def test_one_bad_document_refuses_the_whole_file_listing_every_problem(admin_client, stored):
    before = snapshot()
    missing_asked_by = scenario_document(slug="new-one", title="New one")
    del missing_asked_by["customer_persona"]["facts"][0]["asked_by"]
    bad_difficulty = scenario_document(slug="parcel-stuck", difficulty="expert")
    unknown_prerequisite = scenario_document(slug="third", prerequisites=["nowhere"])
    documents = [scenario_document(slug="fine"), missing_asked_by, bad_difficulty]
    documents.append(unknown_prerequisite)

    response = admin_client.post(UPLOAD, {"file": yaml_file(documents, name="mixed.yaml")})

    assert response.status_code == 400
    page = text(response)
    assert "mixed.yaml was not imported: 3 problems, nothing was saved." in page
    rows = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", html(response)
    )
    found = {(re.sub("<[^>]+>", "", path), doc) for doc, path, _line in rows}
    assert ("customer_persona.facts[0].asked_by", "#2: scenario “new-one”") in found
    assert ("difficulty", "#3: scenario “parcel-stuck”") in found
    assert ("prerequisites[0]", "#4: scenario “third”") in found
    lines = {re.sub("<[^>]+>", "", path): line for _doc, path, line in rows}
    text_lines = yaml.safe_dump(documents, sort_keys=False, allow_unicode=True).splitlines()
    difficulty_line = int(lines["difficulty"].removeprefix("line "))
    assert text_lines[difficulty_line - 1] == "  difficulty: expert"
    assert snapshot() == before
    assert admin_import.SESSION_KEY not in admin_client.session
    assert not Scenario.objects.filter(slug="fine").exists()


def test_valid_json_that_fails_the_schema_names_the_field_path_and_line(admin_client):
    document = scenario_document(slug="json-bad")
    document["ticket_template"]["priority"] = "urgent"
    body = json.dumps(document, indent=2)
    upload = SimpleUploadedFile("bad.json", body.encode(), "application/json")

    response = admin_client.post(UPLOAD, {"file": upload})

    assert response.status_code == 400
    expected = body.splitlines().index('    "priority": "urgent",') + 1
    row = re.search(r"<tr>\s*<td>scenario “json-bad”</td>(.*?)</tr>", html(response), re.S)
    assert "<code>ticket_template.priority</code>" in row.group(1)
    assert f"line {expected}" in row.group(1)
    assert "&#x27;urgent&#x27; is not one of: low, medium, high" in row.group(1)
    assert not Scenario.objects.exists()


def test_a_json_syntax_error_gives_its_line_and_column(admin_client):
    upload = SimpleUploadedFile(
        "broken.json", b'{\n  "slug": "x",\n  "title" "no colon"\n}', "application/json"
    )
    response = admin_client.post(UPLOAD, {"file": upload})
    assert response.status_code == 400
    assert "line 3, column 11: not valid JSON (Expecting &#x27;:&#x27; delimiter)" in html(response)
    assert not Scenario.objects.exists()


def test_an_oversized_upload_is_refused_with_the_limit(admin_client):
    body = b"# padding\n" * (admin_import.MAX_UPLOAD_BYTES // 10 + 1)
    upload = SimpleUploadedFile("huge.yaml", body, "application/x-yaml")
    response = admin_client.post(UPLOAD, {"file": upload})
    assert response.status_code == 400
    assert "“huge.yaml” is 1.0\xa0MB; the limit is 1.0\xa0MB" in response.content.decode()
    assert admin_import.SESSION_KEY not in admin_client.session


@pytest.mark.parametrize(
    ("name", "body", "content_type", "says"),
    [
        ("picture.png", b"\x89PNG\r\n", "image/png", "is not a scenario file"),
        ("scenarios.yaml", b"\x89PNG\r\n\x1a\n", "image/png", "was sent as image/png"),
        ("scenarios.yaml", b"\xff\xfe\x00b\x00i\x00n", "application/x-yaml", "not text in UTF-8"),
        ("notes.yaml", b"Just some notes, not a scenario.", "text/yaml", "one scenario"),
        ("empty.yaml", b"", "text/yaml", "submitted file is empty"),
    ],
)
def test_a_file_that_is_not_a_scenario_file_is_refused(
    admin_client, name, body, content_type, says
):
    upload = SimpleUploadedFile(name, body, content_type)
    response = admin_client.post(UPLOAD, {"file": upload})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert admin_import.SESSION_KEY not in admin_client.session
    assert not Scenario.objects.exists()


def test_a_malformed_yaml_file_gives_its_line(admin_client):
    upload = yaml_file([scenario_document()])
    body = upload.read().decode().replace("priority: high", "priority: [high")
    response = admin_client.post(
        UPLOAD, {"file": SimpleUploadedFile("broken.yaml", body.encode(), "text/yaml")}
    )
    assert response.status_code == 400
    assert re.search(r"line \d+, column \d+: not valid YAML", html(response))


@pytest.mark.parametrize("url", [UPLOAD, PREVIEW])
def test_trainees_and_visitors_are_sent_to_the_admin_login(client, url):
    trainee = UserFactory()
    signed_in = Client()
    signed_in.force_login(trainee)
    for visitor in (client, signed_in):
        for response in (
            visitor.get(url),
            visitor.post(url, {"file": yaml_file([scenario_document(slug="sneaky")])}),
        ):
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
    assert not Scenario.objects.exists()


def test_staff_without_the_scenario_permissions_cannot_import(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(UPLOAD).status_code == 403
    response = client.post(UPLOAD, {"file": yaml_file([scenario_document(slug="sneaky")])})
    assert response.status_code == 403
    assert not Scenario.objects.exists()


def _preview_form(admin_client) -> dict:
    page = html(admin_client.get(PREVIEW))
    return {
        "token": re.search(r'name="token" value="([^"]+)"', page).group(1),
        "plan": re.search(r'name="plan" value="([^"]+)"', page).group(1),
    }


def test_the_confirmation_imports_the_kept_file_not_anything_posted(admin_client):
    admin_client.post(UPLOAD, {"file": yaml_file([scenario_document(slug="kept")])})
    form = _preview_form(admin_client)
    posted = {**form, "file": yaml_file([scenario_document(slug="smuggled")]), "text": "x"}
    response = admin_client.post(PREVIEW, posted)
    assert response["Location"] == CHANGELIST
    assert list(Scenario.objects.values_list("slug", flat=True)) == ["kept"]


def test_a_preview_replaced_by_a_newer_upload_cannot_be_confirmed(admin_client):
    admin_client.post(UPLOAD, {"file": yaml_file([scenario_document(slug="first")])})
    old = _preview_form(admin_client)
    admin_client.post(UPLOAD, {"file": yaml_file([scenario_document(slug="second")])})
    response = admin_client.post(PREVIEW, old)
    assert response["Location"] == PREVIEW
    assert not Scenario.objects.exists()
    assert "replaced by a newer upload" in text(admin_client.get(PREVIEW))


def test_a_change_since_the_preview_shows_the_new_plan_instead_of_importing(admin_client):
    admin_client.post(UPLOAD, {"file": yaml_file([scenario_document()])})
    form = _preview_form(admin_client)
    # Meanwhile another author creates the scenario the preview said would be created.
    ScenarioFactory(slug="router-reboot-loop", title="Someone else's router")
    response = admin_client.post(PREVIEW, form)
    assert response["Location"] == PREVIEW
    assert Scenario.objects.get().title == "Someone else's router"
    page = admin_client.get(PREVIEW)
    assert "The stored scenarios changed since you read the preview" in text(page)
    assert '<tr class="plan-updated">' in html(page)


def test_the_preview_without_a_pending_file_sends_the_author_to_the_upload(admin_client):
    response = admin_client.get(PREVIEW)
    assert response.status_code == 302
    assert response["Location"] == UPLOAD
    assert admin_client.post(PREVIEW, {"token": "x", "plan": "y"})["Location"] == UPLOAD
