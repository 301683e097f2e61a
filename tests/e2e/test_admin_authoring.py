"""Issue 19 (author), in Chromium: a content author imports a scenario file after a dry run,
finds the line an error names, edits structured fields beside line numbers, and the admin has
one section per name and a favicon.

Data that exists before the author arrives is created by fixtures listed before `page`; the
database is read mid-journey through `db_call` (see conftest.py).
"""

import json
import re
from collections import Counter

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.e2e.helpers import axe_violations, blocking, describe
from tests.factories import ScenarioFactory, UserFactory, scenario_document

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"


@pytest.fixture
def author(transactional_db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def parcel(transactional_db):
    return ScenarioFactory(slug="parcel-stuck", title="Parcel stuck in transit", xp_reward=50)


def admin_login(page: Page, url, user) -> None:
    page.goto(url("/admin/"))
    page.get_by_label(re.compile("email", re.I)).fill(user.email)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """What Chromium blocked under the site's CSP (inline script or style), page by page.
    Not combined with axe, which injects inline styles of its own."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def assert_accessible(page: Page, name: str) -> None:
    found = blocking(axe_violations(page))
    assert not found, f"axe on {name}:\n{describe(found)}"


def upload(page: Page, name: str, text: str, mime: str) -> None:
    page.get_by_label("Scenario file").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Preview the import").click()


def test_author_imports_a_file_after_a_dry_run(author, parcel, page: Page, asgi_server, db_call):
    documents = [
        scenario_document(slug="printer-offline", title="Office printer offline"),
        scenario_document(slug="parcel-stuck", title="Parcel stuck in transit", xp_reward=80),
    ]
    admin_login(page, asgi_server, author)

    # The changelist offers the import; its page explains what will happen
    page.goto(asgi_server("/admin/scenarios/scenario/"))
    page.get_by_role("link", name="Import scenarios").click()
    expect(page.get_by_role("heading", name="Import scenarios", level=1)).to_be_visible()
    assert_accessible(page, "the import page")

    # Uploading shows the dry run: one scenario created, one updated (its XP reward)
    upload(page, "two.yaml", yaml.safe_dump(documents, sort_keys=False), "application/x-yaml")
    expect(page.get_by_role("heading", name="Import two.yaml: what would change")).to_be_visible()
    plan = page.get_by_role("table", name="What the import would do")
    created = plan.get_by_role("row", name=re.compile("Office printer offline"))
    expect(created).to_contain_text("Created")
    updated = plan.get_by_role("row", name=re.compile("Parcel stuck in transit"))
    expect(updated).to_contain_text("Updated")
    expect(updated).to_contain_text("xp_reward")
    assert_accessible(page, "the dry run")
    slugs = db_call(lambda: sorted(s.slug for s in type(parcel).objects.all()))
    assert slugs == ["parcel-stuck"], "the dry run wrote to the database"

    # Confirming imports it: the changelist says so and lists the new scenario
    page.get_by_role("button", name="Import 2 scenarios").click()
    expect(page).to_have_url(asgi_server("/admin/scenarios/scenario/"))
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported two.yaml: 1 created, 1 updated, 0 unchanged."
    )
    expect(page.get_by_role("link", name="Office printer offline")).to_be_visible()
    xp = db_call(lambda: type(parcel).objects.get(slug="parcel-stuck").xp_reward)
    assert xp == 80


def test_errors_point_at_lines_in_a_file_and_in_a_field(
    author, parcel, page: Page, asgi_server, db_call
):
    document = scenario_document(slug="json-bad", title="Bad JSON")
    document["ticket_template"]["priority"] = "urgent"
    body = json.dumps([document], indent=2)
    line = body.splitlines().index('      "priority": "urgent",') + 1
    admin_login(page, asgi_server, author)

    # A file whose JSON is valid but breaks the schema is refused, the line named
    page.goto(asgi_server("/admin/scenarios/scenario/import/"))
    upload(page, "bad.json", body, "application/json")
    problems = page.get_by_role("table", name="Problems in bad.json")
    row = problems.get_by_role("row", name=re.compile("ticket_template.priority"))
    expect(row).to_contain_text(f"line {line}")
    expect(row).to_contain_text("#1: scenario “json-bad”")
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    assert_accessible(page, "the refused file")
    assert db_call(lambda: type(parcel).objects.filter(slug="json-bad").exists()) is False

    # The structured fields show line numbers beside the text
    page.goto(asgi_server(f"/admin/scenarios/scenario/{parcel.pk}/change/"))
    ticket_row = page.locator(".form-row.field-ticket_template")
    gutter = ticket_row.locator(".code-gutter")
    expect(gutter).to_be_visible()
    expect(gutter.locator("span").first).to_have_text("1")
    field = page.get_by_label("Ticket template")
    lines = field.input_value().count("\n") + 1
    expect(gutter.locator("span")).to_have_count(lines)

    # A JSON syntax error in a field gives its line and column, and that line is marked
    field.fill('{\n  "priority": "high",\n  "category": "shipping"\n  "description": "x"\n}')
    expect(gutter.locator("span")).to_have_count(5)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(ticket_row.locator(".errorlist")).to_contain_text("line 4, column 3: not valid JSON")
    expect(gutter.locator("span.is-error")).to_have_text("4")
    expect(ticket_row.locator(".code-status")).to_have_text("Error on line 4")
    expect(page.get_by_label("Ticket template")).to_have_value(re.compile('"shipping"\n  "desc'))

    # The field's help links to the format page the site serves
    help_link = ticket_row.get_by_role("link", name=re.compile("scenario file format"))
    with page.context.expect_page() as opened:
        help_link.click()
    docs = opened.value
    expect(docs.get_by_role("heading", name="Scenario files", level=1)).to_be_visible()
    expect(docs.get_by_role("heading", name="Editing and importing in the admin")).to_be_visible()
    assert_accessible(docs, "the format page")


def test_the_new_pages_run_under_the_strict_csp(
    author, parcel, page: Page, asgi_server, csp_violations
):
    admin_login(page, asgi_server, author)
    page.goto(asgi_server("/admin/scenarios/scenario/import/"))
    upload(page, "bad.yaml", "slug: only-a-slug\n", "application/x-yaml")
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    upload(page, "one.yaml", yaml.safe_dump(scenario_document()), "application/x-yaml")
    expect(page.get_by_role("button", name="Import 1 scenario")).to_be_visible()
    page.goto(asgi_server(f"/admin/scenarios/scenario/{parcel.pk}/change/"))
    expect(page.locator(".code-gutter").first).to_be_visible()
    page.goto(asgi_server("/docs/scenarios/"))
    page.wait_for_load_state("networkidle")
    assert csp_violations == []


def test_the_admin_has_one_section_per_name_and_a_favicon(author, page: Page, asgi_server):
    admin_login(page, asgi_server, author)
    sections = page.locator("#content-main .module caption").all_inner_texts()
    assert len(sections) > 5
    repeated = [name for name, count in Counter(s.strip() for s in sections).items() if count > 1]
    assert repeated == [], f"the admin index repeats {repeated}"

    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(asgi_server(icon)).status == 200
    favicon = page.request.get(asgi_server("/favicon.ico"))
    assert favicon.status == 200
    assert favicon.headers["content-type"].startswith("image/")
