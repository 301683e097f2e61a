"""The session report (overview.report): how long it took, how it compares with the trainee's
earlier attempts at the scenario, and "How to do better" adding to the tips instead of
repeating them."""

import math
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from overview.report import (
    MAX_NEXT_STEPS,
    attempt_comparison,
    next_steps,
    time_taken_seconds,
)
from performance.models import PerformanceMetric
from performance.services import session_score
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from tests.factories import ROUTER_SCENARIO, ScenarioFactory, UserSessionFactory
from tests.performance.agents import good_agent, rude_agent

pytestmark = pytest.mark.django_db


def played(user, scenario, turns, *, seconds_per_turn=60, started_at=None, **fields):
    """A session of `user` holding `turns`, ended and scored by the real rubric."""
    started_at = started_at or timezone.now() - timedelta(hours=1)
    session = UserSessionFactory(
        user=user,
        scenario=scenario,
        status=SessionStatus.SCORING,
        outcome=fields.pop("outcome", "resolved"),
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=seconds_per_turn * len(turns)),
        **fields,
    )
    ChatMessage.objects.bulk_create(
        ChatMessage(
            session=session,
            seq=index + 1,
            role=role,
            content=content,
            created_at=started_at + timedelta(seconds=seconds_per_turn * index),
        )
        for index, (role, content) in enumerate(turns)
    )
    session_score(session_id=session.id)
    session.refresh_from_db()
    return session


def attempt(user, scenario, *, days_ago, total, criteria, is_preview=False):
    """A scored attempt with the given total and criterion scores (no transcript needed)."""
    when = timezone.now() - timedelta(days=days_ago)
    session = UserSessionFactory(
        user=user,
        scenario=scenario,
        status=SessionStatus.SCORED,
        outcome="resolved",
        is_preview=is_preview,
        started_at=when,
        ended_at=when + timedelta(minutes=5),
        scored_at=when + timedelta(minutes=5),
        score=total,
        passed=total >= 70,
    )
    PerformanceMetric.objects.bulk_create(
        PerformanceMetric(
            session=session, user=user, criterion=key, score=score, weight=weight, rationale="r"
        )
        for key, (score, weight) in criteria.items()
    )
    return session


def metrics_of(session):
    metrics = list(PerformanceMetric.objects.filter(session=session).order_by("criterion"))
    for metric in metrics:
        metric.label = metric.criterion.replace("_", " ").capitalize()
    return metrics


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


# --- how long it took --------------------------------------------------------------------------


def test_a_session_under_a_minute_reports_its_seconds_not_zero_minutes(client_user, user, scenario):
    session = played(user, scenario, good_agent(ROUTER_SCENARIO), seconds_per_turn=5)
    UserSession.objects.filter(pk=session.pk).update(
        ended_at=session.started_at + timedelta(seconds=45)
    )
    html = client_user.get(f"/sessions/{session.id}/").content.decode()
    assert 'took <time datetime="PT45S" data-time-taken>45 s</time>' in html
    assert not re.search(r"(?<!\d)0 min", html)


def test_longer_sessions_read_in_minutes_and_hours(client_user, user, scenario):
    session = played(user, scenario, good_agent(ROUTER_SCENARIO))
    for seconds, text in [(185, "3 min"), (3900, "1 h 5 min")]:
        UserSession.objects.filter(pk=session.pk).update(
            ended_at=session.started_at + timedelta(seconds=seconds),
            last_activity_at=session.started_at + timedelta(seconds=seconds),
        )
        html = client_user.get(f"/sessions/{session.id}/").content.decode()
        assert f"data-time-taken>{text}</time>" in html


def test_a_session_the_idle_sweep_ended_counts_until_its_last_activity(settings):
    settings.SESSION_IDLE_MINUTES = 60
    start = timezone.now() - timedelta(hours=3)
    swept = SimpleNamespace(
        started_at=start,
        last_activity_at=start + timedelta(minutes=4),
        ended_at=start + timedelta(minutes=4 + 61),
    )
    assert time_taken_seconds(swept) == 4 * 60
    ended_by_the_trainee = SimpleNamespace(
        started_at=start,
        last_activity_at=start + timedelta(minutes=4),
        ended_at=start + timedelta(minutes=6),  # read the last reply for two minutes
    )
    assert time_taken_seconds(ended_by_the_trainee) == 6 * 60
    active = SimpleNamespace(started_at=start, last_activity_at=start, ended_at=None)
    assert time_taken_seconds(active) is None


# --- this attempt against the earlier ones ------------------------------------------------------

WEIGHTS = {"greeting": 20, "empathy": 30, "resolution": 50}


def scores(greeting, empathy, resolution):
    return {
        "greeting": (greeting, WEIGHTS["greeting"]),
        "empathy": (empathy, WEIGHTS["empathy"]),
        "resolution": (resolution, WEIGHTS["resolution"]),
    }


@pytest.fixture
def attempts(user, scenario):
    """Best 80 three days ago, 60 yesterday, and 70 now."""
    best = attempt(user, scenario, days_ago=3, total=80, criteria=scores(100, 60, 85))
    previous = attempt(user, scenario, days_ago=1, total=60, criteria=scores(40, 90, 50))
    now = attempt(user, scenario, days_ago=0, total=70, criteria=scores(40, 70, 80))
    return SimpleNamespace(best=best, previous=previous, now=now)


def test_each_criterion_is_set_beside_the_best_and_the_previous_attempt(attempts):
    comparison = attempt_comparison(session=attempts.now, metrics=metrics_of(attempts.now))
    assert comparison.earlier_attempts == 2
    assert comparison.previous_started_at == attempts.previous.started_at
    rows = {row.criterion or "total": row for row in comparison.rows}
    assert list(rows) == ["total", "empathy", "greeting", "resolution"]  # total first

    total = rows["total"]
    assert (total.score, total.best, total.previous) == (70, 80, 60)
    assert (total.vs_best.symbol, total.vs_best.text) == ("▼", "10 below best")
    assert (total.vs_previous.symbol, total.vs_previous.text) == ("▲", "up 10")

    # Each criterion's best is its own best, whichever attempt it came from.
    assert (rows["empathy"].best, rows["empathy"].previous) == (90, 90)
    assert rows["empathy"].vs_previous.text == "down 20"
    assert (rows["greeting"].best, rows["greeting"].previous) == (100, 40)
    assert (rows["greeting"].vs_previous.symbol, rows["greeting"].vs_previous.text) == (
        "=",
        "no change",
    )
    assert (rows["resolution"].best, rows["resolution"].previous) == (85, 50)
    assert rows["resolution"].vs_best.text == "5 below best"


def test_a_new_best_says_so(user, scenario):
    attempt(user, scenario, days_ago=1, total=60, criteria=scores(40, 90, 50))
    now = attempt(user, scenario, days_ago=0, total=75, criteria=scores(40, 90, 80))
    rows = attempt_comparison(session=now, metrics=metrics_of(now)).rows
    assert (rows[0].vs_best.direction, rows[0].vs_best.text) == ("up", "new best, +15")


def test_only_earlier_scored_real_attempts_of_the_same_scenario_by_the_same_trainee_count(
    user, other_user, scenario
):
    now = attempt(user, scenario, days_ago=2, total=70, criteria=scores(40, 70, 80))
    # None of these is an earlier attempt of this trainee at this scenario:
    attempt(user, scenario, days_ago=1, total=99, criteria=scores(99, 99, 99))  # later
    attempt(user, scenario, days_ago=5, total=98, criteria=scores(98, 98, 98), is_preview=True)
    attempt(other_user, scenario, days_ago=5, total=97, criteria=scores(97, 97, 97))
    other_scenario = ScenarioFactory(slug="another-one")
    attempt(user, other_scenario, days_ago=5, total=96, criteria=scores(96, 96, 96))
    UserSessionFactory(
        user=user,
        scenario=scenario,
        status=SessionStatus.ABANDONED,
        started_at=timezone.now() - timedelta(days=6),
    )
    assert attempt_comparison(session=now, metrics=metrics_of(now)) is None

    attempt(user, scenario, days_ago=4, total=50, criteria=scores(50, 50, 50))
    comparison = attempt_comparison(session=now, metrics=metrics_of(now))
    assert comparison.earlier_attempts == 1
    assert (comparison.rows[0].best, comparison.rows[0].previous) == (50, 50)


def test_a_criterion_the_earlier_attempts_did_not_score_shows_no_comparison(user, scenario):
    attempt(user, scenario, days_ago=1, total=60, criteria={"greeting": (60, 100)})
    now = attempt(user, scenario, days_ago=0, total=70, criteria=scores(40, 70, 80))
    rows = {r.criterion: r for r in attempt_comparison(session=now, metrics=metrics_of(now)).rows}
    assert (rows["empathy"].best, rows["empathy"].previous) == (None, None)
    assert rows["empathy"].vs_best is None
    assert rows["empathy"].vs_previous is None


@pytest.mark.parametrize("earlier", [0, 1, 12])
def test_the_comparison_takes_two_queries_whatever_the_number_of_earlier_attempts(
    user, scenario, earlier, django_assert_num_queries
):
    for days_ago in range(earlier, 0, -1):
        attempt(user, scenario, days_ago=days_ago, total=50 + days_ago, criteria=scores(1, 2, 3))
    now = attempt(user, scenario, days_ago=0, total=70, criteria=scores(40, 70, 80))
    metrics = metrics_of(now)
    with django_assert_num_queries(2):
        comparison = attempt_comparison(session=now, metrics=metrics)
    assert (comparison.earlier_attempts if comparison else 0) == earlier


def test_the_report_page_runs_the_same_queries_with_one_or_many_earlier_attempts(
    client_user, user, scenario
):
    def count(session):
        client_user.get(f"/sessions/{session.id}/")  # the first page of a process warms caches
        with CaptureQueriesContext(connection) as queries:
            assert client_user.get(f"/sessions/{session.id}/").status_code == 200
        return len(queries)

    attempt(user, scenario, days_ago=30, total=40, criteria=scores(1, 2, 3))
    one = attempt(user, scenario, days_ago=20, total=70, criteria=scores(40, 70, 80))
    with_one = count(one)
    for days_ago in range(19, 4, -1):
        attempt(user, scenario, days_ago=days_ago, total=50, criteria=scores(5, 6, 7))
    many = attempt(user, scenario, days_ago=0, total=70, criteria=scores(40, 70, 80))
    assert count(many) == with_one


def test_the_report_shows_the_comparison_with_arrows_and_words(client_user, attempts):
    html = client_user.get(f"/sessions/{attempts.now.id}/").content.decode()
    table = section(html, "compare-heading")
    assert "Compared with your earlier attempts" in html
    assert "2 earlier scored attempts" in table
    total = table.split('data-criterion="total"', 1)[1].split("</tr>", 1)[0]
    assert '<span aria-hidden="true">▼</span> 10 below best' in total
    assert '<span aria-hidden="true">▲</span> up 10' in total
    greeting = table.split('data-criterion="greeting"', 1)[1].split("</tr>", 1)[0]
    assert '<span aria-hidden="true">=</span> no change' in greeting
    assert 'scope="col">Your best before<' in table


def test_a_first_attempt_shows_no_comparison(client_user, user, scenario):
    first = attempt(user, scenario, days_ago=0, total=70, criteria=scores(40, 70, 80))
    html = client_user.get(f"/sessions/{first.id}/").content.decode()
    assert "compare-heading" not in html


# --- how to do better ---------------------------------------------------------------------------


def metric(criterion, score, weight, tip=""):
    return SimpleNamespace(
        criterion=criterion, label=criterion, score=score, weight=weight, tip=tip
    )


def test_next_steps_are_the_few_criteria_worth_the_most_points():
    metrics = [
        metric("greeting", 0, 10),  # 10 points
        metric("resolution", 60, 35),  # 14
        metric("empathy", 50, 20),  # 10, ties with greeting: the rubric's order decides
        metric("clarity", 100, 15),  # nothing to gain
        metric("information_gathering", 90, 20),  # 2
    ]
    steps = next_steps(metrics)
    assert [(s.metric.criterion, s.points) for s in steps] == [
        ("resolution", 14),
        ("greeting", 10),
        ("empathy", 10),
    ]
    assert len(steps) == MAX_NEXT_STEPS


def test_a_perfect_session_has_no_next_step():
    assert next_steps([metric("greeting", 100, 50), metric("empathy", 99.6, 50)]) == []


def test_next_steps_never_repeat_a_tip_word_for_word():
    from performance.registry import evaluators

    generic = evaluators()["greeting"].generic_tip
    # The rubric falls back to the criterion's general advice as its tip: then it is not
    # repeated under "How to do better" (whatever the spacing and case).
    steps = next_steps(
        [
            metric("greeting", 20, 50, tip="  " + generic.upper()),
            metric("empathy", 50, 50, tip="Say sorry."),
        ]
    )
    by_key = {s.metric.criterion: s for s in steps}
    assert by_key["greeting"].advice == ""
    assert by_key["empathy"].advice == evaluators()["empathy"].generic_tip


def test_how_to_do_better_adds_to_the_tips_instead_of_repeating_them(client_user, user, scenario):
    ScenarioFactory(slug="practice-ground", title="Practice ground")
    session = played(user, scenario, rude_agent(ROUTER_SCENARIO), outcome="escalated")
    metrics = list(session.metrics.all())
    tips = [m.tip for m in metrics if m.tip]
    assert len(tips) >= 3, "the rude agent should leave several tips"
    html = client_user.get(f"/sessions/{session.id}/").content.decode()

    # Each tip is on the page once: under its criterion.
    for tip in tips:
        assert html.count(escape(tip)) == 1, tip
    better = section(html, "tips-heading")
    for tip in tips:
        assert escape(tip) not in better

    # What it shows instead: the criteria worth most, biggest first, with the points at stake
    ranked = sorted(metrics, key=lambda m: -m.weight * (100 - m.score))[:MAX_NEXT_STEPS]
    order = [better.index(f'data-next-step="{m.criterion}"') for m in ranked]
    assert order == sorted(order)
    first = ranked[0]
    points = math.floor(first.weight * (100 - first.score) / 100 + 0.5)
    assert f"up to +{points} point" in better
    assert 'href="/scenarios/practice-ground/"' in better  # somewhere else to practise it
    assert 'href="/scenarios/router-reboot-loop/"' not in better


# --- hints ------------------------------------------------------------------------------------


def test_the_report_lists_the_hints_used_and_what_they_cost(client_user, user, scenario):
    from sessions_app.models import SessionHint

    session = attempt(user, scenario, days_ago=0, total=80, criteria=scores(80, 80, 80))
    SessionHint.objects.create(
        session=session, after_seq=1, replies=0, kind="greet", text="Greet <Dana> by name."
    )
    SessionHint.objects.create(
        session=session, after_seq=5, replies=2, kind="ask", text="Ask about the light."
    )
    html = client_user.get(f"/sessions/{session.id}/").content.decode()
    assert 'data-hints="2"' in html
    assert "2 hints used · −20% XP" in html
    assert "Before the first reply:</span> Greet &lt;Dana&gt; by name." in html
    assert "After your reply 2:</span> Ask about the light." in html


def test_a_report_without_hints_says_nothing_of_them(client_user, user, scenario):
    session = attempt(user, scenario, days_ago=0, total=80, criteria=scores(80, 80, 80))
    html = client_user.get(f"/sessions/{session.id}/").content.decode()
    assert "data-hints" not in html
