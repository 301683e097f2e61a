import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from scenarios.models import Scenario
from sessions_app.models import UserSession
from tests.factories import ScenarioFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

TITLES = ["A starter", "B starter", "C intermediate", "D intermediate", "E advanced"]


def hidden_strings(scenario: Scenario) -> list[str]:
    persona = scenario.customer_persona
    return [fact["answer"] for fact in persona["facts"]] + [
        persona["resolution"]["confirm"],
        persona["resolution"]["unresolved"],
    ]


def assert_hidden(body: bytes, scenarios):
    for scenario in scenarios:
        for secret in hidden_strings(scenario):
            for form in {secret, escape(secret)}:
                assert form.encode() not in body, (scenario.slug, secret)


def test_the_catalogue_needs_a_login(client):
    response = client.get(reverse("scenario-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_catalogue_shows_progress_locks_and_the_recommendation(client_user, history):
    response = client_user.get(reverse("scenario-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "5 scenarios." in html
    assert "Best score <strong>85</strong> · 2 attempts" in html
    assert "Best score <strong>55</strong> · 1 attempt\n" in html
    assert "Completed</span>" in html
    # inter-d is locked by starter-b; adv-e by both intermediates, named.
    assert html.count(">Locked</span>") == 2
    assert 'Complete <a href="/scenarios/starter-b/">B starter</a> first.' in html
    assert (
        'Complete <a href="/scenarios/inter-c/">C intermediate</a> and '
        '<a href="/scenarios/inter-d/">D intermediate</a> first.'
    ) in html
    assert 'id="recommended-heading"' in html
    assert "Open “B starter”" in html


def test_the_catalogue_filters(client_user, history):
    def titles(**params):
        html = client_user.get(reverse("scenario-list"), params).content.decode()
        grid = html.split('aria-label="Scenarios"', 1)[-1]
        return [t for t in TITLES if f">{t}</a></h3>" in grid]

    assert titles(difficulty="intermediate") == ["C intermediate", "D intermediate"]
    assert titles(completed="true") == ["A starter"]
    assert titles(completed="false") == TITLES[1:]
    assert titles(category="billing-refunds") == ["B starter"]
    assert titles(q="advanced") == ["E advanced"]
    # A stale or hand-typed value is ignored rather than breaking the page.
    assert titles(difficulty="expert") == TITLES


def test_the_filter_form_is_labelled(client_user, history):
    html = client_user.get(reverse("scenario-list")).content.decode()
    assert 'role="search"' in html
    for name in ("q", "difficulty", "category", "completed"):
        assert f'<label for="id_{name}">' in html
    assert '<option value="billing-refunds">' in html


def test_the_detail_page_shows_the_brief_but_never_hidden_data(client_user, library, user):
    for scenario in Scenario.objects.all():
        response = client_user.get(reverse("scenario-detail", args=[scenario.slug]))
        assert response.status_code == 200
        html = response.content.decode()
        assert escape(scenario.ticket_template["description"]) in html
        assert escape(scenario.customer_persona["name"]) in html
        assert scenario.customer_persona["technical_level"] in html
        for entry in scenario.knowledge_base_entries:
            assert escape(entry["title"]) in html
        assert_hidden(response.content, [scenario])
        assert (
            scenario.customer_persona["personality"]["temperament"]
            not in html.split('id="customer-heading"')[1].split("</section>")[0]
        )
    listing = client_user.get(reverse("scenario-list"))
    assert_hidden(listing.content, Scenario.objects.all())


def test_unknown_or_inactive_scenarios_are_404(client_user):
    ScenarioFactory(slug="hidden-one", is_active=False)
    assert client_user.get(reverse("scenario-detail", args=["hidden-one"])).status_code == 404
    assert client_user.get(reverse("scenario-detail", args=["nope"])).status_code == 404
    assert client_user.post(reverse("scenario-start", args=["hidden-one"])).status_code == 404


def test_start_opens_a_session_and_redirects_to_the_chat(client_user, history, user):
    response = client_user.post(reverse("scenario-start", args=["inter-c"]))
    session = UserSession.objects.filter(user=user, scenario=history["c"]).latest("started_at")
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.id}/"
    assert session.is_preview is False


def test_start_needs_post_and_csrf(client_user, history, user):
    assert client_user.get(reverse("scenario-start", args=["starter-a"])).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("scenario-start", args=["starter-a"])).status_code == 403


def test_starting_a_locked_scenario_is_refused_with_the_prerequisites_named(
    client_user, history, user
):
    before = UserSession.objects.count()
    response = client_user.post(reverse("scenario-start", args=["inter-d"]), follow=True)
    assert UserSession.objects.count() == before
    assert response.redirect_chain[-1][0] == reverse("scenario-detail", args=["inter-d"])
    html = response.content.decode()
    assert "flash-error" in html
    assert escape("Complete “B starter” first.") in html
    # And the detail page itself shows the lock instead of an active button.
    assert '<button type="button" class="btn btn-primary btn-lg" disabled' in html


def _add_scenarios(count, user):
    """`count` more scenarios in a prerequisite chain, each attempted once by `user`."""
    previous = None
    for index in range(Scenario.objects.count(), count):
        scenario = ScenarioFactory(
            slug=f"bulk-{index:03d}",
            difficulty=("starter", "intermediate", "advanced")[index % 3],
        )
        if previous:
            scenario.prerequisites.set([previous])
        UserSessionFactory(user=user, scenario=scenario, status="scored", score=60, passed=False)
        previous = scenario


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", ["/scenarios/", "/scenarios/?difficulty=starter&q=bulk"])
def test_the_catalogue_runs_a_constant_number_of_queries(
    client_user, user, url, django_assert_num_queries
):
    _add_scenarios(5, user)
    few = _count_queries(client_user, url)
    # session + user, the list (3), the trainee's criterion averages; filtered pages also load
    # the unfiltered list for the recommendation and the category choices.
    assert few <= 9
    _add_scenarios(60, user)
    assert Scenario.objects.count() == 60
    with django_assert_num_queries(few):
        client_user.get(url)


def test_the_catalogue_pages_a_large_library_and_keeps_the_filters(client, user):
    # Given more scenarios than fit on one page
    for index in range(30):
        ScenarioFactory(slug=f"paged-{index:02d}", title=f"Paged {index:02d}")
    client.force_login(user)

    # When the trainee opens the first and the second page of the filtered catalogue
    first = client.get("/scenarios/?difficulty=starter").content.decode()
    second = client.get("/scenarios/?difficulty=starter&page=2").content.decode()

    # Then each page shows its share of cards, the count covers all, and links keep the filter
    assert first.count('<article class="card scenario-card') == 24
    assert second.count('<article class="card scenario-card') == 6
    assert "30 of 30 scenarios match." in first
    assert 'href="?difficulty=starter&amp;page=2"' in first
    assert 'href="?difficulty=starter&amp;page=1"' in second
