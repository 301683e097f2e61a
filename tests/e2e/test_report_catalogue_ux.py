"""Issue 19 in Chromium: the dashboard follows a session being scored, the catalogue's filters
fold away on a phone, the profile offers the browser's time zone, and the report sets an
attempt beside the earlier one.

Data that exists before the person arrives comes from fixtures listed before `page` (see
conftest.py); anything done to the database mid-journey goes through `db_call`.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import SOCKET_TRACKER, log_in, session_with
from tests.e2e.showcase import LIBRARY
from tests.factories import ScenarioFactory, UserFactory

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
GOOD_CONVERSATION = [
    "Hello Dana, I'm sorry your internet keeps dropping, that sounds frustrating. I'll help.",
    "Could you tell me what colour the light on the front of the router is?",
    "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes.",
]
POOR_CONVERSATION = ["Try turning it off and on."]


@pytest.fixture
def trainee(transactional_db):
    return UserFactory(first_name="Robin", last_name="Okafor")


@pytest.fixture
def router(transactional_db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


def played_and_scored(user, scenario, agent_messages):
    """Scoring runs eagerly while fixtures build (the Celery worker starts with the server)."""
    from sessions_app.services import session_end

    session = session_with(user, scenario, agent_messages)
    session_end(session=session, by=user)
    session.refresh_from_db()
    assert session.status == "scored"
    return session


# --- the dashboard follows the score live ------------------------------------------------------


@pytest.fixture
def active_session(trainee, router):
    session = session_with(trainee, router, GOOD_CONVERSATION)
    assert session.status == "active"
    return session


def test_the_dashboard_row_turns_from_active_to_scored_when_the_session_is_scored(
    trainee, active_session, password, db_call, page: Page, asgi_server
):
    from sessions_app.models import UserSession
    from sessions_app.services import session_end

    # Given a trainee whose dashboard lists the session they have open elsewhere as Active
    page.context.add_init_script(SOCKET_TRACKER)
    log_in(page, asgi_server, trainee.email, password)
    row = page.locator(f'[data-session-id="{active_session.id}"]')
    status = row.locator("[data-session-state]")
    expect(status).to_have_text("Active")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(row.get_by_role("link", name=re.compile("^Continue"))).to_be_visible()
    page.wait_for_function(
        """() => (window.__e2eSockets || []).some(
            (s) => s.url.includes("/ws/notifications/") && s.readyState === 1)"""
    )
    page.evaluate("() => { window.__sameDocument = true; }")

    # When the session is ended in another tab and the worker scores it
    db_call(lambda: session_end(session=UserSession.objects.get(pk=active_session.pk)))

    # Then, without a reload, the row shows the score, the XP and a link to the report
    expect(row).to_have_attribute("data-session-status", "scored", timeout=30_000)
    scored = db_call(lambda: UserSession.objects.get(pk=active_session.pk))
    verdict = "passed" if scored.passed else "not passed"
    expect(status).to_contain_text(f"{scored.score} · {verdict}")
    expect(status).not_to_contain_text("Active")
    if scored.xp_awarded:
        expect(status).to_contain_text(f"+{scored.xp_awarded} XP")
    report = row.get_by_role("link", name=re.compile("^Report"))
    expect(report).to_have_attribute("href", f"/sessions/{active_session.id}/")
    expect(row.get_by_role("link", name=re.compile("^Continue"))).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    report.click()
    expect(page.locator("#report")).to_have_attribute("data-status", "scored")


# --- the catalogue on a phone -------------------------------------------------------------------


@pytest.fixture
def library(trainee):
    from django.core.management import call_command

    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    return trainee


def test_on_a_phone_the_filters_fold_away_and_the_first_card_is_on_the_first_screen(
    library, password, browser, asgi_server
):
    context = browser.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    log_in(page, asgi_server, library.email, password)
    page.goto(asgi_server("/scenarios/"))

    # The filters are one closed "Filters" line, and the first card starts on the first screen
    filters = page.locator("details[data-filters]")
    assert filters.evaluate("(el) => el.open") is False
    expect(page.get_by_label("Difficulty")).to_be_hidden()
    first_card = page.get_by_role("list", name="Scenarios").get_by_role("article").first
    box = first_card.bounding_box()
    assert page.evaluate("() => window.scrollY") == 0
    assert box is not None
    assert box["y"] < 844, f"the first card starts at {box}"
    # ... with its category as words, not a slug
    cards = page.get_by_role("list", name="Scenarios")
    expect(cards.get_by_text("billing-refunds")).to_have_count(0)
    expect(page.get_by_text("Billing & refunds").first).to_be_visible()

    # Opening the disclosure shows the form; a filter keeps it open and says how many are on
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Difficulty")).to_be_visible()
    page.get_by_label("Difficulty").select_option(label="Starter")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"difficulty=starter"))
    assert filters.evaluate("(el) => el.open") is True
    expect(filters.locator("summary")).to_contain_text("1 active")
    context.close()


def test_on_a_wide_screen_the_filters_are_open(library, password, page: Page, asgi_server):
    log_in(page, asgi_server, library.email, password)
    page.goto(asgi_server("/scenarios/"))
    expect(page.get_by_label("Difficulty")).to_be_visible()
    assert page.locator("details[data-filters]").evaluate("(el) => el.open") is True


# --- the profile's time zone ---------------------------------------------------------------------


def test_the_profile_offers_the_browsers_time_zone_to_a_trainee_who_never_chose_one(
    trainee, password, db_call, browser, asgi_server
):
    context = browser.new_context(timezone_id="Europe/Lisbon", locale="en-GB")
    page = context.new_page()
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server("/profile/"))

    # The list is grouped, common zones first, and the browser's zone is selected, saying so
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("Europe/Lisbon")
    expect(page.get_by_text("Set to your browser's time zone, Europe/Lisbon")).to_be_visible()
    groups = zone.locator("optgroup").evaluate_all("(gs) => gs.map((g) => g.label)")
    assert groups[0] == "Common"
    assert "Europe" in groups
    values = zone.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    assert "Factory" not in values
    assert "localtime" not in values

    # Saving keeps it; a zone once chosen is never replaced by the browser's
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    saved = db_call(lambda: type(trainee).objects.get(pk=trainee.pk).timezone)
    assert saved == "Europe/Lisbon"
    db_call(lambda: type(trainee).objects.filter(pk=trainee.pk).update(timezone="Asia/Tokyo"))
    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    expect(page.get_by_text("Set to your browser's time zone")).to_have_count(0)
    context.close()


# --- the report against the earlier attempt -----------------------------------------------------


@pytest.fixture
def two_attempts(trainee, router):
    earlier = played_and_scored(trainee, router, POOR_CONVERSATION)
    later = played_and_scored(trainee, router, GOOD_CONVERSATION)
    assert later.score > earlier.score
    later.criteria_count = later.metrics.count()
    return earlier, later


def test_the_report_compares_the_attempt_with_the_earlier_one(
    trainee, two_attempts, password, page: Page, asgi_server
):
    earlier, later = two_attempts
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{later.id}/"))

    comparison = page.get_by_role("region", name="Compared with your earlier attempts")
    expect(comparison).to_be_visible()
    expect(comparison).to_contain_text("1 earlier scored attempt")
    table = comparison.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Your best before")).to_be_visible()
    total = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total"))
    gain = later.score - earlier.score
    expect(total).to_contain_text(f"{earlier.score} ▲ new best, +{gain}")
    expect(total).to_contain_text(f"▲ up {gain}")
    # One row per criterion, each with the earlier score
    expect(table.get_by_role("row")).to_have_count(1 + 1 + later.criteria_count)

    # How long it took, in words that are never "0 min"
    took = page.locator("[data-time-taken]")
    expect(took).to_have_text(re.compile(r"^(\d+ s|\d+ min|\d+ h( \d+ min)?)$"))
    expect(took).not_to_have_text("0 min")
