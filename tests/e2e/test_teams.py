"""A trainer and a trainee in Chromium: the trainer creates a team, invites by link, the new
hire signs up through the link and joins; the trainer assigns a scenario, the trainee's open
dashboard shows a live toast and, reloaded, the assigned work first."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PASSWORD, TOAST_RECORDER, log_in, recorded_toasts, sign_up
from tests.factories import ScenarioFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def trainer(transactional_db):
    from accounts.services import trainer_role_grant

    user = UserFactory(public_name="Coach Kim", password=PASSWORD)
    user.set_password(PASSWORD)
    user.save()
    trainer_role_grant(user=user)
    return user


@pytest.fixture
def scenario(transactional_db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


def test_a_trainer_builds_a_team_and_an_assignment_reaches_the_trainee_live(
    trainer, scenario, page: Page, browser, asgi_server
):
    coach = page
    log_in(coach, asgi_server, trainer.email, PASSWORD)
    coach.goto(asgi_server("/teams/"))
    coach.get_by_label("Team name").fill("Night shift")
    coach.get_by_role("button", name="Create team").click()
    expect(coach.get_by_role("heading", name="Night shift")).to_be_visible()
    coach.get_by_role("button", name="Make an invitation link").click()
    link = coach.locator("[data-invitation-url]").input_value()
    assert re.fullmatch(r"http://[^/]+/teams/join/[\w-]+/", link)

    # The new hire opens the link, signs up, comes back to it and joins.
    hire: Page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    hire.set_default_timeout(10_000)
    hire.context.add_init_script(TOAST_RECORDER)
    hire.goto(link)
    expect(hire).to_have_url(re.compile(r"/accounts/signup/\?next=/teams/join/"))
    sign_up_url = hire.url
    sign_up(hire, lambda _path: sign_up_url, "new.hire@example.com", display_name="Sam")
    expect(hire.get_by_role("button", name=re.compile("Join “Night shift”"))).to_be_visible()
    hire.get_by_role("button", name=re.compile("Join “Night shift”")).click()
    expect(hire.get_by_role("heading", name="Night shift")).to_be_visible()
    expect(hire.get_by_text("Coach Kim")).to_be_visible()

    # With the hire's dashboard open, the trainer assigns the scenario.
    hire.goto(asgi_server("/"))
    coach.reload()
    coach.get_by_role("link", name="Assignments and progress").click()
    coach.get_by_label("Scenarios", exact=True).select_option(label=scenario.title)
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    coach.get_by_label("Due", exact=True).fill(due)
    coach.get_by_role("button", name="Assign").click()
    expect(coach.get_by_role("cell", name=scenario.title)).to_be_visible()
    expect(coach.get_by_role("cell", name="0 of 1")).to_be_visible()

    for _ in range(50):  # the toast arrives over the hire's notification socket
        if any("New assignment" in toast for toast in recorded_toasts(hire)):
            break
        hire.wait_for_timeout(100)
    assert any(scenario.title in toast for toast in recorded_toasts(hire))
    hire.reload()
    assigned = hire.get_by_role("region", name="Assigned to you")
    expect(assigned.get_by_role("link", name=scenario.title)).to_be_visible()
    expect(assigned.locator('[data-assignment-status="due"]')).to_have_count(1)
