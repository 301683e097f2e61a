"""A trainer and a trainee in Chromium. The trainer creates a team, invites by link, the new
hire signs up through the link and joins; the trainer assigns a scenario, the trainee's open
dashboard shows a live toast and, reloaded, the assigned work first. Then the trainee plays an
assignment, the trainer reviews and corrects it, the trainee sees the comments, and the
trainer exports the session and the team's results."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    PASSWORD,
    TOAST_RECORDER,
    axe_violations,
    blocking,
    describe,
    end_session,
    log_in,
    recorded_toasts,
    say,
    sign_up,
    wait_connected,
)
from tests.factories import ScenarioFactory, UserFactory

pytestmark = pytest.mark.e2e


def assert_accessible(page: Page) -> None:
    """The axe smoke check of test_accessibility.py, on a trainer's page."""
    failures = blocking(axe_violations(page))
    assert not failures, f"{page.url}:\n{describe(failures)}"


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
    assert_accessible(coach)
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


CONVERSATION = [
    "Hello Dana, I'm sorry your internet keeps dropping, that sounds frustrating. I'll help.",
    "Could you tell me what colour the light on the front of the router is?",
    "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes.",
]


@pytest.fixture
def assigned(trainer, scenario):
    """A team of the trainer's with one member, who is set the scenario, due in two days."""
    from accounts.models import TeamMembership
    from accounts.services import team_create
    from sessions_app.assignments import assignment_create

    team = team_create(trainer=trainer, name="Night shift")
    member = UserFactory(public_name="Sam Rivera", email="sam@example.com")
    member.set_password(PASSWORD)
    member.save()
    TeamMembership.objects.create(team=team, user=member)
    assignment_create(
        by=trainer,
        team=team,
        scenarios=[scenario],
        due_at=timezone.now() + timedelta(days=2),
        min_score=10,
    )
    return {"team": team, "member": member}


def test_the_trainee_plays_the_assignment_and_the_trainer_reviews_and_exports_it(
    trainer, assigned, scenario, db_call, page: Page, browser, asgi_server
):
    team, member = assigned["team"], assigned["member"]
    # The trainee opens the assigned scenario from their dashboard, plays it and is scored.
    trainee = page
    trainee.context.add_init_script(TOAST_RECORDER)
    log_in(trainee, asgi_server, member.email, PASSWORD)
    assigned_work = trainee.get_by_role("region", name="Assigned to you")
    assigned_work.get_by_role("link", name=scenario.title).click()
    trainee.get_by_role("button", name=re.compile("^Start")).click()
    expect(trainee).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    report_url = trainee.url
    wait_connected(trainee)
    for line in CONVERSATION:
        say(trainee, line)
    end_session(trainee)
    report = trainee.locator("#report")
    expect(report).to_have_attribute("data-status", "scored", timeout=30_000)
    machine_total = report.locator("[data-total-score]").inner_text()
    trainee.goto(asgi_server("/"))
    expect(assigned_work.locator('[data-assignment-status="done"]')).to_have_count(1)

    # The trainer finds the session on the team's training page and corrects one criterion.
    coach: Page = browser.new_context(
        viewport={"width": 1280, "height": 800}, accept_downloads=True
    ).new_page()
    coach.set_default_timeout(10_000)
    log_in(coach, asgi_server, trainer.email, PASSWORD)
    coach.goto(asgi_server(f"/teams/{team.pk}/training/"))
    expect(coach.get_by_role("cell", name="1 of 1")).to_be_visible()
    assert_accessible(coach)
    coach.get_by_role("link", name=re.compile("^Review")).click()
    expect(coach.get_by_role("heading", name=f"Review: {scenario.title}")).to_be_visible()
    assert_accessible(coach)
    coach.get_by_label("Empathy score").fill("40")
    why = "Said sorry, but never acknowledged that the outages ruin her evenings."
    coach.get_by_label("Empathy: why").fill(why)
    coach.get_by_label("Overall comment").fill("Good structure. Ask before you prescribe.")
    coach.get_by_role("button", name="Save review").click()
    expect(coach.get_by_text("Review saved")).to_be_visible()
    session = db_call(lambda: member.training_sessions.get())
    assert session.score != int(machine_total)  # recalculated from the weights

    # The trainee is told live, and the report shows the comments beside the machine's score.
    for _ in range(50):
        if any("reviewed" in toast for toast in recorded_toasts(trainee)):
            break
        trainee.wait_for_timeout(100)
    assert any("Your trainer reviewed a session" in t for t in recorded_toasts(trainee))
    trainee.goto(report_url)
    expect(trainee.get_by_role("heading", name="Reviewed by Coach Kim")).to_be_visible()
    expect(trainee.get_by_text("Good structure. Ask before you prescribe.")).to_be_visible()
    expect(trainee.get_by_text(why)).to_be_visible()
    expect(trainee.locator("[data-total-score]")).to_have_text(str(session.score))

    # The trainer exports the session as PDF and CSV, and the team's results as CSV.
    coach.goto(asgi_server(f"/review/{session.pk}/"))
    with coach.expect_download() as pdf:
        coach.get_by_role("link", name=re.compile("Download PDF")).click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    assert pdf.value.suggested_filename.endswith(".pdf")
    with coach.expect_download() as csv_file:
        coach.get_by_role("link", name=re.compile("Download CSV")).click()
    assert "Sam Rivera" in Path(csv_file.value.path()).read_text()
    coach.goto(asgi_server(f"/teams/{team.pk}/training/"))
    with coach.expect_download() as results:
        coach.get_by_role("button", name=re.compile("Download")).click()
    rows = Path(results.value.path()).read_text().splitlines()
    assert len(rows) == 2
    assert "Sam Rivera" in rows[1]
    assert str(session.score) in rows[1]
