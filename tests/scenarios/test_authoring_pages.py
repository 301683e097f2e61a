"""Issue 19 (author): the scenario form's structured fields point at lines, the field help links
to a format page the site serves, the admin index has no two sections of one name, and the
favicon answers."""

import json
import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from scenarios.docs import render_markdown
from scenarios.loader import dump_yaml
from tests.factories import ScenarioFactory
from tests.scenarios.admin_forms import change_url, field_row, form_data

pytestmark = pytest.mark.django_db

FORMAT_URL = reverse("scenario-format")


def test_a_json_syntax_error_in_a_field_gives_line_and_column_and_keeps_the_text(
    admin_client, scenario
):
    broken = '{\n  "priority": "high",\n  "category": "connectivity"\n  "description": "x"\n}'
    response = admin_client.post(change_url(scenario), form_data(scenario, ticket_template=broken))
    assert response.status_code == 200
    row = field_row(response.content.decode(), "ticket_template")
    assert "line 4, column 3: not valid JSON (Expecting &#x27;,&#x27; delimiter)" in row
    assert 'data-error-lines="4"' in row
    # Shown back as typed, so that line 4 is the line the author sees.
    assert "&quot;category&quot;: &quot;connectivity&quot;\n  &quot;description&quot;" in row
    scenario.refresh_from_db()
    assert scenario.ticket_template["priority"] == "high"


def test_a_schema_error_in_a_field_names_the_path_and_the_line(admin_client, scenario):
    ticket = json.dumps({**scenario.ticket_template, "priority": "urgent"}, indent=2)
    response = admin_client.post(change_url(scenario), form_data(scenario, ticket_template=ticket))
    row = field_row(response.content.decode(), "ticket_template")
    line = ticket.splitlines().index('  "priority": "urgent",') + 1
    assert f"ticket_template.priority (line {line}): &#x27;urgent&#x27; is not one of" in row
    assert f'data-error-lines="{line}"' in row
    assert "&quot;priority&quot;: &quot;urgent&quot;" in row  # their JSON stays JSON


def test_a_cross_field_error_points_at_the_line_of_the_reference(admin_client, scenario):
    persona = dump_yaml(scenario.customer_persona).replace("kb-reset", "kb-missing")
    response = admin_client.post(
        change_url(scenario), form_data(scenario, customer_persona=persona)
    )
    row = field_row(response.content.decode(), "customer_persona")
    line = next(n for n, text in enumerate(persona.splitlines(), 1) if "kb-missing" in text)
    assert f"customer_persona.resolution.requires[0] (line {line}):" in row


def test_the_structured_fields_are_code_editors_sized_to_their_text(admin_client, scenario):
    page = admin_client.get(change_url(scenario)).content.decode()
    row = field_row(page, "customer_persona")
    assert "data-code-editor" in row
    assert 'wrap="off"' in row
    lines = dump_yaml(scenario.customer_persona).count("\n") + 1
    rows = int(re.search(r'rows="(\d+)"', row).group(1))
    assert lines < rows <= 32
    assert "js/code-lines.js" in page
    assert "css/code-editor.css" in page
    assert "css/admin-scenarios.css" in page


def test_the_field_help_links_to_the_format_page(admin_client, scenario):
    page = admin_client.get(change_url(scenario)).content.decode()
    for field in ("ticket_template", "customer_persona", "knowledge_base_entries"):
        help_text = re.search(rf'id="id_{field}_helptext">(.*?)</div>\s*</div>', page, re.S).group(
            1
        )
        assert f'href="{FORMAT_URL}"' in help_text
        assert "docs/scenarios.md" not in help_text
    assert "CONTRACT" not in page


def test_the_format_page_is_public_and_rendered_from_the_docs():
    response = Client().get(FORMAT_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Scenario files</h1>" in page
    assert "<table>" in page  # the library's learning path
    assert "<pre><code" in page
    assert "A complete example" in page
    assert "slug: router-reboot-loop" in page
    assert Client().post(FORMAT_URL).status_code == 405


def test_the_markdown_renderer_lets_no_html_or_script_through():
    out = render_markdown(
        "<script>alert(1)</script>\n\n"
        'Some <b onclick="x()">bold</b> text.\n\n'
        "[bad](javascript:alert(1)) [file](scoring.md) [self](scenarios.md#top) "
        "[web](https://example.com) [anchor](#here)\n\n"
        "![pic](img/chat.png)",
        self_name="scenarios.md",
    )
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<b" not in out
    assert "javascript:" not in out
    assert "<span>bad</span>" in out
    assert "<span>file</span>" in out
    assert '<a href="#top">self</a>' in out
    assert '<a href="https://example.com">web</a>' in out
    assert '<a href="#here">anchor</a>' in out
    assert "<img" not in out
    assert "pic" in out


def test_the_admin_index_has_no_two_sections_of_one_name(admin_client):
    page = admin_client.get("/admin/").content.decode()
    captions = re.findall(r"<caption>\s*<a [^>]*>(.*?)</a>\s*</caption>", page, re.S)
    assert len(captions) > 5
    assert [name for name, count in Counter(captions).items() if count > 1] == []
    assert "Users and teams" in captions


def test_the_favicon_answers_and_every_page_names_it(admin_client):
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".ico")
    assert "/static/img/favicon" in response["Location"]
    assert Client().post("/favicon.ico").status_code == 405
    assert '<link rel="icon" href="/static/img/favicon' in Client().get("/").content.decode()
    for url in ("/admin/", "/admin/login/", reverse("admin:scenarios_scenario_changelist")):
        client = admin_client if url != "/admin/login/" else Client()
        assert '<link rel="icon" href="/static/img/favicon' in client.get(url).content.decode()


def test_the_changelist_and_its_preview_column_load_the_layout_fixes(admin_client):
    ScenarioFactory(slug="one")
    page = admin_client.get(reverse("admin:scenarios_scenario_changelist")).content.decode()
    assert "css/admin-scenarios.css" in page
    assert '<td class="field-try_it">' in page
