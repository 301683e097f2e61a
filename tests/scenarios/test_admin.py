import pytest
import yaml
from django.urls import reverse

from scenarios.loader import dump_yaml
from scenarios.models import Scenario
from sessions_app.models import UserSession
from tests.factories import ScenarioFactory, UserSessionFactory
from tests.scenarios.admin_forms import change_url, field_row, form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scenarios_scenario_changelist")


def test_the_changelist_shows_attempts_and_pass_rate(admin_client, scenario, staff_user):
    for passed in (True, False, False, True):
        UserSessionFactory(scenario=scenario, status="scored", score=80, passed=passed)
    UserSessionFactory(scenario=scenario, status="active")
    UserSessionFactory(scenario=scenario, status="scored", passed=True, is_preview=True)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="field-attempts">5</td>' in html
    assert '<td class="field-pass_rate">50%</td>' in html
    assert "Try it</button>" in html


def test_the_changelist_searches_and_filters(admin_client, scenario):
    ScenarioFactory(slug="billing-one", title="Billing trouble", difficulty="advanced")
    html = admin_client.get(CHANGELIST, {"q": "billing"}).content.decode()
    assert "Billing trouble" in html
    assert "Router stuck" not in html
    html = admin_client.get(CHANGELIST, {"difficulty__exact": "starter"}).content.decode()
    assert "Router stuck" in html
    assert "Billing trouble" not in html
    assert admin_client.get(CHANGELIST, {"is_active__exact": "1"}).status_code == 200
    assert admin_client.get(CHANGELIST, {"category": "connectivity"}).status_code == 200
    # The list shows the category as trainees read it, not its slug.
    saas = ScenarioFactory(slug="blank-page", title="Blank page")
    saas.ticket_template = {**saas.ticket_template, "category": "saas-bug"}
    saas.save()
    html = admin_client.get(CHANGELIST, {"q": "Blank page"}).content.decode()
    assert '<td class="field-category_name">SaaS bug</td>' in html


def test_the_change_form_edits_the_documents_as_yaml(admin_client, scenario):
    response = admin_client.get(change_url(scenario))
    assert response.status_code == 200
    html = response.content.decode()
    assert "asked_by: [light, led, colour, color, blinking]" in html
    assert 'class="vLargeTextField yaml-field"' in html
    assert "Try it as a trainee" in html
    assert 'class="selectfilter"' in html  # filter_horizontal


def test_a_valid_yaml_edit_is_saved(admin_client, scenario):
    persona = dict(scenario.customer_persona, name="Dana R.")
    response = admin_client.post(
        change_url(scenario), form_data(scenario, customer_persona=dump_yaml(persona))
    )
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.customer_persona["name"] == "Dana R."


def test_json_is_accepted_too(admin_client, scenario):
    response = admin_client.post(
        change_url(scenario),
        form_data(
            scenario,
            ticket_template='{"priority": "low", "category": "billing-refunds", '
            '"description": "Charged twice."}',
        ),
    )
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.category == "billing-refunds"


def test_malformed_yaml_is_shown_next_to_the_field(admin_client, scenario):
    broken = "name: Dana\nfacts: [unclosed\n"
    response = admin_client.post(change_url(scenario), form_data(scenario, customer_persona=broken))
    assert response.status_code == 200
    html = response.content.decode()
    row = field_row(html, "customer_persona")
    assert "errorlist" in row
    assert "not valid YAML" in row
    assert "line 3" in row or "line 2" in row
    assert "[unclosed" in html  # the author's text is kept, not lost
    assert "errorlist" not in field_row(html, "ticket_template")
    scenario.refresh_from_db()
    assert scenario.customer_persona["name"] == "Dana Reyes"


def test_a_validation_error_names_the_path_next_to_the_field(admin_client, scenario):
    ticket = dict(scenario.ticket_template, priority="urgent")
    response = admin_client.post(
        change_url(scenario), form_data(scenario, ticket_template=dump_yaml(ticket))
    )
    assert response.status_code == 200
    row = field_row(response.content.decode(), "ticket_template")
    assert "ticket_template.priority" in row
    assert "low, medium, high" in row


def test_an_unknown_kb_reference_is_shown_on_the_persona(admin_client, scenario):
    persona = yaml.safe_load(dump_yaml(scenario.customer_persona))
    persona["resolution"]["requires"] = ["kb-missing"]
    response = admin_client.post(
        change_url(scenario), form_data(scenario, customer_persona=dump_yaml(persona))
    )
    row = field_row(response.content.decode(), "customer_persona")
    assert "customer_persona.resolution.requires[0]" in row


def test_a_prerequisite_cycle_is_refused(admin_client):
    first = ScenarioFactory(slug="first")
    second = ScenarioFactory(slug="second")
    second.prerequisites.set([first])
    response = admin_client.post(change_url(first), form_data(first, prerequisites=[second.pk]))
    assert response.status_code == 200
    assert "would form a cycle: first → second → first" in response.content.decode()
    assert not first.prerequisites.exists()


def test_activate_deactivate_and_duplicate(admin_client, scenario):
    other = ScenarioFactory(slug="other", is_active=False)
    ids = [scenario.pk, other.pk]
    admin_client.post(CHANGELIST, {"action": "deactivate", "_selected_action": ids})
    assert not Scenario.objects.filter(is_active=True).exists()
    admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": ids})
    assert Scenario.objects.filter(is_active=True).count() == 2

    prerequisite = ScenarioFactory(slug="before")
    scenario.prerequisites.set([prerequisite])
    admin_client.post(CHANGELIST, {"action": "duplicate", "_selected_action": [scenario.pk]})
    admin_client.post(CHANGELIST, {"action": "duplicate", "_selected_action": [scenario.pk]})
    copy = Scenario.objects.get(slug="router-reboot-loop-copy")
    assert copy.is_active is False
    assert copy.customer_persona == scenario.customer_persona
    assert list(copy.prerequisites.all()) == [prerequisite]
    assert Scenario.objects.filter(slug="router-reboot-loop-copy-2").exists()


def test_export_selected_downloads_yaml(admin_client, scenario):
    second = ScenarioFactory(slug="second-one")
    response = admin_client.post(
        CHANGELIST, {"action": "export_yaml", "_selected_action": [scenario.pk, second.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert 'filename="scenarios.yaml"' in response["Content-Disposition"]
    exported = yaml.safe_load(response.content)
    assert [item["slug"] for item in exported] == ["router-reboot-loop", "second-one"]
    assert exported[0] == scenario.to_document()


def test_try_it_starts_a_preview_session_as_staff(admin_client, staff_user):
    locked = ScenarioFactory(slug="locked-one", is_active=False)
    locked.prerequisites.set([ScenarioFactory(slug="never-done")])
    url = reverse("admin:scenarios_scenario_try", args=[locked.pk])
    assert "Start a preview session" in admin_client.get(url).content.decode()
    response = admin_client.post(url)
    session = UserSession.objects.get(user=staff_user)
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.id}/"
    assert session.is_preview is True
    assert session.scenario == locked


def test_the_admin_is_for_staff_only(client_user, scenario):
    url = reverse("admin:scenarios_scenario_try", args=[scenario.pk])
    assert client_user.post(url).status_code == 302
    assert not UserSession.objects.exists()


def test_a_new_scenario_starts_from_a_valid_skeleton(admin_client):
    add_url = reverse("admin:scenarios_scenario_add")
    html = admin_client.get(add_url).content.decode()
    assert "asked_by: [when, since]" in html
    from scenarios.admin import NEW_SCENARIO_SKELETON

    data = {key: dump_yaml(value) for key, value in NEW_SCENARIO_SKELETON.items()}
    data.update(title="Brand new", slug="brand-new", difficulty="starter")
    data.update(estimated_time=10, xp_reward=50, is_active="on", _save="Save")
    assert admin_client.post(add_url, data).status_code == 302
    assert Scenario.objects.get(slug="brand-new").category == "connectivity"


def test_an_author_checks_what_a_sample_question_asks(admin_client, scenario):
    """asked_by may hold example questions; the admin shows what a sample message matches."""
    url = reverse("admin:scenarios_scenario_read", args=[scenario.pk])
    assert url in admin_client.get(change_url(scenario)).content.decode()
    empty = admin_client.get(url)
    assert empty.status_code == 200
    assert "Facts asked for" not in empty.content.decode()

    html = admin_client.get(url, {"message": "What is the status indicator doing?"}).content
    html = html.decode()
    assert "<strong>light_colour</strong>" in html
    statement = admin_client.get(url, {"message": "The light is odd, <b>I</b> know."}).content
    assert "<strong>light_colour</strong>" not in statement.decode()
    assert "&lt;b&gt;I&lt;/b&gt;" in statement.decode()  # the sample is escaped
    wrong = admin_client.get(url, {"message": "Hold the reset button for 30 seconds."}).content
    assert "the article says “10 seconds”" in wrong.decode()


def test_checking_a_message_is_for_staff_only(client_user, scenario):
    url = reverse("admin:scenarios_scenario_read", args=[scenario.pk])
    response = client_user.get(url, {"message": "What colour is the light?"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
