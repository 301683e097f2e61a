"""A team's analytics (issue 18 §4, §6): the page /teams/<id>/analytics/ and
GET /api/v1/teams/<id>/analytics/.

Each figure is checked on a small team built by hand; then who may see it (the team's trainers
only; everyone else 404, as for a team that does not exist); then the API's shape; and last
that a team of 500 costs exactly as many queries as a team of 10.
"""

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TeamMembership, TeamRole, User
from accounts.selectors import team_get_for_trainer
from accounts.services import team_create, team_member_remove, trainer_role_grant
from gamification.models import XPReason, XPTransaction
from gamification.selectors import PERIOD_ALL, leaderboard
from overview.api.serializers import TeamAnalyticsSerializer
from overview.team_analytics import analytics_options, team_analytics_for
from performance.models import PerformanceMetric
from performance.team_analytics import period_of, score_band
from sessions_app.models import Assignment, SessionStatus, UserSession
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def this_monday(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of `now`'s ISO week (tests run in UTC)."""
    day = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time.min, tzinfo=dt.UTC)


def scored(user, scenario, *, at, score, passed, minutes=10, metrics=None, **fields):
    """A session of `user` that started at `at`, ended `minutes` later and was scored then."""
    fields.setdefault("status", SessionStatus.SCORED)
    ended = at + dt.timedelta(minutes=minutes)
    session = UserSessionFactory(
        user=user,
        scenario=scenario,
        started_at=at,
        ended_at=ended,
        scored_at=ended if fields["status"] == SessionStatus.SCORED else None,
        score=score,
        passed=passed,
        **fields,
    )
    for criterion, value in (metrics or {}).items():
        PerformanceMetric.objects.create(
            session=session, user=user, criterion=criterion, score=value, weight=1.0
        )
    return session


class World:
    """The hand-built team every figure is checked against (see `team_world`)."""


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def team_world(now):
    """Trainer Coach; members Alice, Bob and Carol (Carol hidden from the global leaderboard);
    Dave, who left; Erin, in another team. Sessions fall in the two ISO weeks before this one
    (`week1` the last one, `week2` the one before), whatever day the suite runs."""
    world = World()
    monday = this_monday(now)
    world.week1, world.week2 = monday - dt.timedelta(weeks=1), monday - dt.timedelta(weeks=2)
    world.trainer = UserFactory(public_name="Coach")
    trainer_role_grant(user=world.trainer)
    world.team = team_create(trainer=world.trainer, name="Tier 1")
    world.alice = UserFactory(public_name="Alice", xp=500, level=6)
    world.bob = UserFactory(public_name="Bob", xp=500, level=6)
    world.carol = UserFactory(public_name="Carol", xp=700, level=8, on_leaderboard=False)
    world.dave = UserFactory(public_name="Dave", xp=900, level=10)
    world.erin = UserFactory(public_name="Erin", xp=50)
    for person in (world.alice, world.bob, world.carol, world.dave):
        TeamMembership.objects.create(team=world.team, user=person)
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    world.other_team = team_create(trainer=other_trainer, name="Elsewhere")
    world.other_trainer = other_trainer
    TeamMembership.objects.create(team=world.other_team, user=world.erin)

    world.router = ScenarioFactory(slug="router-woes", title="Router woes")
    world.billing = ScenarioFactory(slug="billing", title="Billing dispute")
    wed2 = world.week2 + dt.timedelta(days=2, hours=10)
    tue1 = world.week1 + dt.timedelta(days=1, hours=10)
    # Alice: 60 then 80 on the router; empathy 50 → 90, resolution 70 → 80.
    scored(
        world.alice,
        world.router,
        at=wed2,
        score=60,
        passed=False,
        minutes=10,
        metrics={"empathy": 50, "resolution": 70},
    )
    scored(
        world.alice,
        world.router,
        at=tue1,
        score=80,
        passed=True,
        minutes=20,
        metrics={"empathy": 90, "resolution": 80},
    )
    # Bob: one billing attempt in the period, one twenty weeks ago (outside 12 weeks).
    scored(
        world.bob,
        world.billing,
        at=wed2 + dt.timedelta(hours=1),
        score=40,
        passed=False,
        minutes=25,
        metrics={"empathy": 40, "resolution": 40, "greeting": 100},
    )
    scored(
        world.bob,
        world.billing,
        at=monday - dt.timedelta(weeks=20),
        score=100,
        passed=True,
        minutes=5,
        metrics={"empathy": 100},
    )
    # Carol: nothing that counts. A staff preview, an unscored session and an abandoned one.
    scored(
        world.carol,
        world.router,
        at=tue1,
        score=100,
        passed=True,
        is_preview=True,
        metrics={"empathy": 100},
    )
    scored(
        world.carol, world.billing, at=tue1, score=None, passed=None, status=SessionStatus.ACTIVE
    )
    scored(
        world.carol, world.billing, at=tue1, score=None, passed=None, status=SessionStatus.ABANDONED
    )
    # Dave (about to leave) and Erin (another team) practise too: neither may show up.
    for person in (world.dave, world.erin):
        scored(
            person,
            world.router,
            at=tue1,
            score=5,
            passed=False,
            minutes=50,
            metrics={"empathy": 5, "tone": 5},
        )
    team_member_remove(team=world.team, by=world.trainer, user_id=world.dave.pk)

    # XP earned in the period and before it.
    XPTransaction.objects.create(
        user=world.alice, reason=XPReason.ADJUSTMENT, amount=50, created_at=tue1
    )
    XPTransaction.objects.create(
        user=world.alice,
        reason=XPReason.ADJUSTMENT,
        amount=450,
        created_at=monday - dt.timedelta(weeks=40),
    )

    # Assignments: one to the team, overdue; one to Alice, done (late, but done); one not due.
    def assign(*scenarios, due_at, team=None, assignee=None):
        assignment = Assignment.objects.create(
            team=team,
            assignee=assignee,
            due_at=due_at,
            min_score=70,
            created_by=world.trainer,
            created_at=world.week2 - dt.timedelta(days=3),
        )
        assignment.scenarios.set(scenarios)
        return assignment

    world.overdue = assign(
        world.router, world.billing, team=world.team, due_at=world.week1 + dt.timedelta(hours=12)
    )
    world.done = assign(world.router, team=world.team, assignee=world.alice, due_at=world.week1)
    world.upcoming = assign(world.billing, team=world.team, due_at=now + dt.timedelta(days=3))
    return world


def analytics_of(world, now, **options):
    team = team_get_for_trainer(user=world.trainer, team_id=world.team.pk)
    return team_analytics_for(team=team, now=now, **options)


def cells_of(analytics) -> dict[str, dict[str, float | None]]:
    keys = [c.key for c in analytics.performance.criteria]
    return {
        row.user.display_name: {key: cell.score for key, cell in zip(keys, row.cells, strict=True)}
        for row in analytics.performance.heat_map
    }


# --- each figure ---------------------------------------------------------------------------------


def test_the_heat_map_shows_each_trainees_latest_score_per_criterion(team_world, now):
    analytics = analytics_of(team_world, now, view="latest")
    assert [c.key for c in analytics.performance.criteria] == ["empathy", "greeting", "resolution"]
    assert [c.label for c in analytics.performance.criteria] == [
        "Empathy",
        "Greeting",
        "Resolution",
    ]
    assert cells_of(analytics) == {
        "Alice": {"empathy": 90, "greeting": None, "resolution": 80},
        "Bob": {"empathy": 40, "greeting": 100, "resolution": 40},
        "Carol": {"empathy": None, "greeting": None, "resolution": None},
    }
    alice = analytics.performance.heat_map[0]
    assert [cell.sessions for cell in alice.cells] == [2, 0, 2]
    assert [cell.band for cell in alice.cells] == ["good", "none", "good"]


def test_the_heat_map_averages_over_the_period(team_world, now):
    analytics = analytics_of(team_world, now, view="average")
    assert cells_of(analytics) == {
        "Alice": {"empathy": 70.0, "greeting": None, "resolution": 75.0},
        "Bob": {"empathy": 40.0, "greeting": 100.0, "resolution": 40.0},
        "Carol": {"empathy": None, "greeting": None, "resolution": None},
    }
    # A longer period takes in Bob's session of twenty weeks ago.
    longer = cells_of(analytics_of(team_world, now, view="average", weeks=26))
    assert longer["Bob"]["empathy"] == 70.0


def test_score_bands():
    assert [score_band(s) for s in (None, 0, 59.9, 60, 79, 80, 100)] == [
        "none",
        "low",
        "low",
        "mid",
        "mid",
        "good",
        "good",
    ]


def test_pass_rate_by_scenario(team_world, now):
    rows = analytics_of(team_world, now).performance.scenarios
    assert [
        (r.slug, r.attempts, r.passed, r.pass_rate, r.pass_rate_percent, r.average_score)
        for r in rows
    ] == [
        ("billing", 1, 0, 0.0, 0, 40.0),
        ("router-woes", 2, 1, 0.5, 50, 70.0),
    ]


def test_the_weekly_trend_has_one_bucket_per_iso_week(team_world, now):
    analytics = analytics_of(team_world, now)
    weeks = analytics.performance.weeks
    assert len(weeks) == 12
    assert weeks[-1].week_start == this_monday(now).date()
    assert weeks[0].week_start == (this_monday(now) - dt.timedelta(weeks=11)).date()
    assert all(w.week_start.weekday() == 0 for w in weeks)
    assert [(w.average_score, w.sessions) for w in weeks[-3:]] == [(50.0, 2), (80.0, 1), (None, 0)]
    assert all(w.sessions == 0 for w in weeks[:-3])
    assert weeks[-2].iso_week == "{}-W{:02d}".format(*team_world.week1.isocalendar()[:2])
    # The same points on the dashboard's chart: one series, a gap where no one practised.
    [series] = analytics.trend_chart.series
    assert [dot["value"] for dot in series.dots] == [50, 80]
    assert [dot["index"] for dot in series.dots] == [9, 10]


def test_the_period_is_bounded():
    now = timezone.now()
    assert period_of(weeks=0, now=now).weeks == 1
    assert period_of(weeks=500, now=now).weeks == 52
    assert analytics_options({"weeks": "abc", "view": "bogus"}) == (12, "latest")
    assert analytics_options({"weeks": "99", "view": "average"}) == (52, "average")
    assert analytics_options({}) == (12, "latest")


def test_the_weakest_skills_come_first_with_who_is_under_70(team_world, now):
    weakest = analytics_of(team_world, now).performance.weakest
    # empathy (50 + 90 + 40) / 3, resolution (70 + 80 + 40) / 3, greeting 100.
    assert [(s.key, s.average, s.sessions, s.trainees, s.struggling) for s in weakest] == [
        ("empathy", 60.0, 3, 2, 1),
        ("resolution", 63.3, 3, 2, 1),
        ("greeting", 100.0, 1, 1, 0),
    ]


def test_overdue_lists_who_has_not_passed_an_assignment_past_its_date(team_world, now):
    overdue = analytics_of(team_world, now).overdue
    assert [(row.user.display_name, [s.slug for s in row.scenarios]) for row in overdue] == [
        ("Alice", ["billing"]),  # passed the router (80), not billing
        ("Bob", ["billing", "router-woes"]),
        ("Carol", ["billing", "router-woes"]),
    ]
    assert {row.assignment for row in overdue} == {team_world.overdue}  # Alice's own one is done
    assert overdue[0].due_at == team_world.overdue.due_at
    assert overdue[0].late_by == now - team_world.overdue.due_at
    assert overdue[0].days_late == (now - team_world.overdue.due_at).days >= 1


def test_time_spent_sums_scored_sessions_only(team_world, now):
    rows = analytics_of(team_world, now).performance.time_spent
    # Carol's preview, active and abandoned sessions, and Bob's older one, count for nothing.
    assert [(r.user.display_name, r.sessions, r.seconds) for r in rows] == [
        ("Alice", 2, 30 * 60),
        ("Bob", 1, 25 * 60),
        ("Carol", 0, 0),
    ]


def test_the_team_leaderboard_ranks_by_xp_and_keeps_those_hidden_from_the_global_one(
    team_world, now
):
    entries = analytics_of(team_world, now).leaderboard
    assert [(e.rank, e.display_name, e.xp, e.period_xp, e.on_leaderboard) for e in entries] == [
        (1, "Carol", 700, 0, False),
        (2, "Alice", 500, 50, True),  # tied with Bob: same rank, the older account first
        (2, "Bob", 500, 0, True),
    ]
    everyone = leaderboard(period=PERIOD_ALL, limit=100).entries
    assert "Carol" not in {e.display_name for e in everyone}


def test_someone_taken_off_the_team_drops_out_of_every_figure(team_world, now):
    analytics = analytics_of(team_world, now)
    data = TeamAnalyticsSerializer(analytics).data
    for section in ("heat_map", "overdue", "time_spent", "leaderboard"):
        names = {row["display_name"] for row in data[section]}
        assert not names & {"Dave", "Erin"}, section
    assert "tone" not in {c["key"] for c in data["criteria"]}
    assert data["scenarios"][1]["attempts"] == 2  # the router without Dave's and Erin's tries


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_every_section_to_the_teams_trainer(team_world):
    coach = client_for(team_world.trainer)
    response = coach.get(f"/teams/{team_world.team.pk}/analytics/")
    assert response.status_code == 200
    page = response.content.decode()
    for heading in (
        "Criteria by trainee",
        "Team average by week",
        "Weakest skills",
        "Pass rate by scenario",
        "Overdue assignments",
        "Time spent",
        "Team leaderboard",
    ):
        assert heading in page
    assert "style=" not in page  # the CSP forbids inline styles
    assert '<th scope="row">Alice</th>' in page
    assert '<th scope="col" data-criterion="empathy">Empathy</th>' in page
    alice_row = re.search(rf'<tr data-user="{team_world.alice.pk}">(.*?)</tr>', page, re.S)[1]
    assert re.search(r'class="heat heat-good" data-criterion="empathy">90<', alice_row)
    assert re.search(
        r'class="heat heat-none" data-criterion="greeting"><span aria-hidden="true">—</span>'
        r'<span class="visually-hidden">No score</span>',
        alice_row,
    )
    assert 'class="chart"' in page
    assert "Team average" in page
    assert "30 min" in page  # Alice's time
    assert "off the global leaderboard" in page
    assert "Dave" not in page
    assert "Erin" not in page


def test_the_page_switches_between_latest_and_average(team_world):
    coach = client_for(team_world.trainer)
    url = f"/teams/{team_world.team.pk}/analytics/"
    latest = coach.get(url).content.decode()
    average = coach.get(url, {"view": "average", "weeks": "8"}).content.decode()
    alice = rf'<tr data-user="{team_world.alice.pk}">(.*?)</tr>'
    assert 'data-criterion="empathy">90<' in re.search(alice, latest, re.S)[1]
    assert 'data-criterion="empathy">70<' in re.search(alice, average, re.S)[1]
    assert 'aria-current="true">Average<' in average
    assert '<option value="8" selected>' in average
    assert 'href="?view=latest&amp;weeks=8"' in average
    # A hand-edited query string still shows the page, with the defaults.
    assert coach.get(url, {"view": "x", "weeks": "-3"}).status_code == 200


def test_the_team_pages_link_to_it_for_trainers_only(team_world):
    link = f'href="/teams/{team_world.team.pk}/analytics/"'
    coach = client_for(team_world.trainer)
    assert link in coach.get(f"/teams/{team_world.team.pk}/").content.decode()
    assert link in coach.get(f"/teams/{team_world.team.pk}/training/").content.decode()
    member_view = client_for(team_world.alice).get(f"/teams/{team_world.team.pk}/")
    assert member_view.status_code == 200
    assert link not in member_view.content.decode()


# --- who may see it ------------------------------------------------------------------------------


def test_only_the_teams_trainers_see_it(team_world, client):
    page = f"/teams/{team_world.team.pk}/analytics/"
    api = f"/api/v1/teams/{team_world.team.pk}/analytics/"
    for person in (team_world.other_trainer, team_world.alice, team_world.dave, team_world.erin):
        assert client_for(person).get(page).status_code == 404, person
        response = api_for(person).get(api)
        assert response.status_code == 404, person
        assert response.json()["details"]["code"] == "team_not_found"
        # Refused before the query is read: no hint that the team exists.
        assert api_for(person).get(api, {"weeks": "0"}).status_code == 404
    # Their own team's page is theirs.
    other = f"/teams/{team_world.other_team.pk}/analytics/"
    assert client_for(team_world.other_trainer).get(other).status_code == 200
    # A visitor is sent to sign in; the API asks for credentials.
    anonymous = client.get(page)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")
    assert APIClient().get(api).status_code == 401
    assert client_for(team_world.trainer).get("/teams/999999/analytics/").status_code == 404


def test_a_member_taken_off_the_team_disappears_from_the_page(team_world):
    coach = client_for(team_world.trainer)
    url = f"/teams/{team_world.team.pk}/analytics/"
    assert "Bob" in coach.get(url).content.decode()
    team_member_remove(team=team_world.team, by=team_world.trainer, user_id=team_world.bob.pk)
    assert "Bob" not in coach.get(url).content.decode()
    data = api_for(team_world.trainer).get(f"/api/v1{url}").json()["data"]
    assert team_world.bob.pk not in {row["user_id"] for row in data["heat_map"]}


# --- the API -------------------------------------------------------------------------------------


def test_the_api_answers_in_the_envelope_with_every_figure(team_world):
    response = api_for(team_world.trainer).get(
        f"/api/v1/teams/{team_world.team.pk}/analytics/", {"view": "average"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["meta"] == {"weeks": 12, "view": "average", "members": 3}
    data = body["data"]
    assert set(data) == {
        "team",
        "period",
        "view",
        "criteria",
        "heat_map",
        "scenarios",
        "weekly",
        "weakest_skills",
        "overdue",
        "time_spent",
        "leaderboard",
    }
    assert data["team"] == {"id": team_world.team.pk, "name": "Tier 1"}
    assert data["period"]["weeks"] == 12
    assert data["criteria"][0] == {"key": "empathy", "label": "Empathy"}
    alice = data["heat_map"][0]
    assert alice == {
        "user_id": team_world.alice.pk,
        "display_name": "Alice",
        "cells": [
            {"criterion": "empathy", "score": 70.0, "sessions": 2},
            {"criterion": "greeting", "score": None, "sessions": 0},
            {"criterion": "resolution", "score": 75.0, "sessions": 2},
        ],
    }
    assert data["scenarios"][1] == {
        "slug": "router-woes",
        "title": "Router woes",
        "attempts": 2,
        "passed": 1,
        "pass_rate": 0.5,
        "average_score": 70.0,
    }
    assert len(data["weekly"]) == 12
    assert set(data["weekly"][-2]) == {"week", "week_start", "average_score", "sessions"}
    assert data["weakest_skills"][0]["trainees_below"] == 1
    assert data["overdue"][0]["scenarios"] == [{"slug": "billing", "title": "Billing dispute"}]
    assert data["overdue"][0]["days_late"] >= 1
    assert data["time_spent"][0] == {
        "user_id": team_world.alice.pk,
        "display_name": "Alice",
        "sessions": 2,
        "seconds": 1800,
    }
    assert data["leaderboard"][0]["on_global_leaderboard"] is False


def test_the_api_refuses_a_bad_period_or_view(team_world):
    api = api_for(team_world.trainer)
    url = f"/api/v1/teams/{team_world.team.pk}/analytics/"
    for query in ({"weeks": "0"}, {"weeks": "53"}, {"weeks": "x"}, {"view": "median"}):
        response = api.get(url, query)
        assert response.status_code == 400, query
        assert set(response.json()) == {"error", "details"}
    assert api.get(url, {"weeks": "52", "view": "latest"}).json()["data"]["period"]["weeks"] == 52


# --- the cost ------------------------------------------------------------------------------------


def build_team(size: int, *, scenarios, trainer) -> int:
    """A team of `size` members, each with two scored sessions of two criteria last week and a
    bit of XP, and an overdue assignment to the whole team: bulk-created, so 500 is quick."""
    team = team_create(trainer=trainer, name=f"Team of {size}")
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"m{size}-{index}@example.com",
            public_name=f"Member {size}-{index}",
            password=password,
            xp=index * 10,
            on_leaderboard=index % 3 != 0,
        )
        for index in range(size)
    )
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=user, role=TeamRole.MEMBER) for user in users
    )
    last_week = this_monday(timezone.now()) - dt.timedelta(days=5)
    sessions = UserSession.objects.bulk_create(
        UserSession(
            user=user,
            scenario=scenarios[attempt],
            status=SessionStatus.SCORED,
            started_at=last_week,
            ended_at=last_week + dt.timedelta(minutes=12),
            scored_at=last_week + dt.timedelta(minutes=12, hours=attempt),
            score=50 + attempt * 30,
            passed=attempt == 1,
        )
        for user in users
        for attempt in (0, 1)
    )
    PerformanceMetric.objects.bulk_create(
        PerformanceMetric(
            session=session,
            user_id=session.user_id,
            criterion=criterion,
            score=session.score,
            weight=1.0,
        )
        for session in sessions
        for criterion in ("empathy", "resolution")
    )
    XPTransaction.objects.bulk_create(
        XPTransaction(user=user, reason=XPReason.ADJUSTMENT, amount=5, created_at=last_week)
        for user in users
    )
    assignment = Assignment.objects.create(
        team=team,
        due_at=last_week + dt.timedelta(days=1),
        created_at=last_week - dt.timedelta(days=7),
    )
    assignment.scenarios.set(scenarios)
    return team.pk


def queries_for(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("view", ["latest", "average"])
def test_a_team_of_500_costs_the_same_queries_as_a_team_of_10(view):
    trainer = UserFactory()
    trainer_role_grant(user=trainer)
    scenarios = [ScenarioFactory(), ScenarioFactory()]
    small = build_team(10, scenarios=scenarios, trainer=trainer)
    large = build_team(500, scenarios=scenarios, trainer=trainer)
    params = {"view": view}
    page, api = client_for(trainer), api_for(trainer)
    for path in ("/teams/{}/analytics/", "/api/v1/teams/{}/analytics/"):
        client = api if path.startswith("/api/") else page
        client.get(path.format(small), params)  # warm: sessions, permissions, content types
        ten = queries_for(client, path.format(small), params)
        five_hundred = queries_for(client, path.format(large), params)
        assert ten == five_hundred, (path, ten, five_hundred)
        assert five_hundred <= 20, (path, five_hundred)
    data = api.get(f"/api/v1/teams/{large}/analytics/", params).json()["data"]
    assert len(data["heat_map"]) == len(data["time_spent"]) == len(data["leaderboard"]) == 500
    assert len(data["overdue"]) == 500
    assert data["scenarios"][0]["attempts"] == 500


def test_the_page_only_reads(team_world):
    url = f"/teams/{team_world.team.pk}/analytics/"
    assert client_for(team_world.trainer).post(url).status_code == 405
    assert client_for(team_world.alice).post(url).status_code in (404, 405)
