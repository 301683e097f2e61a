"""A ticket category as trainees read it: one function (scenarios.selectors.category_label)
behind every page that shows one, never the slug."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from scenarios.forms import ScenarioFilterForm
from scenarios.selectors import category_label
from sessions_app.services import session_start
from tests.factories import ScenarioFactory

LIBRARY_LABELS = {
    "account-security": "Account security",
    "billing-refunds": "Billing & refunds",
    "connectivity": "Connectivity",
    "de-escalation": "De-escalation",
    "saas-bug": "SaaS bug",
    "saas-outage": "SaaS outage",
    "shipping-returns": "Shipping & returns",
}


@pytest.mark.parametrize(("slug", "label"), LIBRARY_LABELS.items())
def test_every_category_of_the_bundled_library_has_a_proper_label(slug, label):
    assert category_label(slug) == label


@pytest.mark.parametrize(
    ("category", "label"),
    [
        ("api-errors", "API errors"),  # an acronym
        ("ios-app", "iOS app"),  # a brand spelling stays, even first
        ("two-factor-login", "Two-factor login"),  # a hyphenated compound
        ("e_mail_delivery", "E-mail delivery"),  # underscores too
        ("wifi-setup", "Wi-Fi setup"),
        ("orders-and-payments", "Orders & payments"),  # the general rule for "and"
        ("hardware", "Hardware"),
        ("Account Security", "Account Security"),  # written as words: the author's spelling
        ("  ", ""),
        (None, ""),
        ("and", "And"),
    ],
)
def test_other_categories_follow_the_general_rule(category, label):
    assert category_label(category) == label


def test_labels_never_look_like_slugs():
    for slug in [*LIBRARY_LABELS, "some-new-category", "another_one"]:
        label = category_label(slug)
        assert "_" not in label
        assert label != slug
        assert label[0].isupper()


def test_the_filter_offers_labels_in_label_order_and_keeps_slugs_as_values():
    form = ScenarioFilterForm(categories=["saas-bug", "billing-refunds", "de-escalation"])
    assert form.fields["category"].choices == [
        ("", "Any category"),
        ("billing-refunds", "Billing & refunds"),
        ("de-escalation", "De-escalation"),
        ("saas-bug", "SaaS bug"),
    ]


def in_category(category: str, **fields):
    """A scenario whose ticket is filed under `category`."""
    scenario = ScenarioFactory(**fields)
    scenario.ticket_template = {**scenario.ticket_template, "category": category}
    scenario.save()
    return scenario


@pytest.mark.django_db
def test_cards_recommendation_filters_detail_and_chat_pages_show_the_label(client_user, user):
    scenario = in_category("saas-bug", slug="blank-dashboard", title="Blank dashboard")
    in_category(
        "billing-refunds", slug="refund-twice", title="Refund twice", difficulty="intermediate"
    )

    listing = client_user.get(reverse("scenario-list")).content.decode()
    grid = listing.split('aria-label="Scenarios"', 1)[1]
    assert '<span class="badge">SaaS bug</span>' in grid
    assert f'<span class="badge">{escape("Billing & refunds")}</span>' in grid
    recommended = listing.split('id="recommended-heading"', 1)[1].split("</section>")[0]
    assert '<span class="badge">SaaS bug</span>' in recommended
    assert '<option value="saas-bug">SaaS bug</option>' in listing
    # The slug is a value in the filter, never text a trainee reads.
    text_only = listing.replace('value="saas-bug"', "").replace('value="billing-refunds"', "")
    assert ">saas-bug<" not in text_only
    assert "billing-refunds" not in text_only

    filtered = client_user.get(reverse("scenario-list"), {"category": "saas-bug"}).content.decode()
    assert '<option value="saas-bug" selected>SaaS bug</option>' in filtered

    detail = client_user.get(reverse("scenario-detail", args=[scenario.slug])).content.decode()
    assert detail.count('<span class="badge">SaaS bug</span>') == 2  # header and ticket
    assert "saas-bug" not in detail

    session = session_start(user=user, scenario=scenario)
    chat = client_user.get(reverse("session-detail", args=[session.pk])).content.decode()
    assert '<span class="badge">SaaS bug</span>' in chat
    assert "saas-bug" not in chat


@pytest.mark.django_db
def test_the_catalogue_search_finds_a_category_by_its_label(client_user):
    in_category("saas-bug", slug="blank-dashboard", title="Blank dashboard")
    ScenarioFactory(slug="other-one", title="Something else")
    html = client_user.get(reverse("scenario-list"), {"q": "SaaS bug"}).content.decode()
    grid = html.split('aria-label="Scenarios"', 1)[1]
    assert "Blank dashboard" in grid
    assert "Something else" not in grid


@pytest.mark.django_db
def test_the_api_gives_the_label_beside_the_slug(api_client):
    in_category("saas-bug", slug="blank-dashboard", title="Blank dashboard")
    [row] = api_client.get("/api/v1/scenarios/").json()["data"]
    assert (row["category"], row["category_label"]) == ("saas-bug", "SaaS bug")
