"""A lived-in product for the accessibility check and the screenshots: the bundled scenario
library, a trainee with some history, and rivals on the leaderboard. Built through the same
services the app uses (scoring runs eagerly while it is built)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.helpers import session_with
from tests.factories import UserFactory

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"

GREETING = "Hello Dana, I'm sorry your internet keeps dropping, that sounds frustrating. I'll help."
QUESTION = "Could you tell me what colour the light on the front of the router is?"
PROCEDURE = (
    "Thanks. Please hold the reset button on the back with a paperclip for 10 seconds, "
    "then wait two minutes while it restarts."
)
SHORT_ANSWER = "Try turning it off and on."

RIVALS = [("Amara", "Lindqvist", 420), ("Kenji", "Moreau", 260), ("Priya", "Haddad", 135)]


def _played(user, scenario, messages) -> None:
    from sessions_app.services import session_end

    session = session_with(user, scenario, messages)
    if session.status == "active":
        session_end(session=session, by=user)


def build_showcase():
    """The library, three rivals with XP, and a trainee with one failed and one passed attempt."""
    from django.core.management import call_command

    from gamification.services import xp_award
    from scenarios.models import Scenario

    # A transactional test starts from empty tables; achievements must exist before scoring.
    call_command("load_achievements", verbosity=0)
    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    for first, last, xp in RIVALS:
        rival = UserFactory(first_name=first, last_name=last)
        xp_award(user_id=rival.pk, amount=xp, reason="adjustment")
    trainee = UserFactory(first_name="Robin", last_name="Okafor", email="robin@example.com")
    router = Scenario.objects.get(slug="router-reboot-loop")
    _played(trainee, router, [SHORT_ANSWER])
    _played(trainee, router, [GREETING, QUESTION, PROCEDURE])
    return trainee


def open_new_attempt(page: Page, url, slug: str = "router-reboot-loop") -> None:
    page.goto(url(f"/scenarios/{slug}/"))
    page.get_by_role("button", name=re.compile("^Start")).click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
