"""The report at /sessions/<uuid>/ and the performance dashboard at /performance/."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from performance.services import session_score
from sessions_app.models import SessionStatus
from tests.factories import ROUTER_SCENARIO, ScenarioFactory
from tests.performance.agents import good_agent, rude_agent
from tests.performance.helpers import scored_sessions

pytestmark = pytest.mark.django_db


def scored(make_session, user, scenario, turns, **kwargs):
    session = make_session(user=user, scenario=scenario, turns=turns, **kwargs)
    session_score(session_id=session.id)
    session.refresh_from_db()
    return session


# --- the report -------------------------------------------------------------------------------


def test_report_shows_score_criteria_evidence_tips_and_next_steps(
    client_user, make_session, user, scenario
):
    session = scored(make_session, user, scenario, rude_agent(ROUTER_SCENARIO), outcome="escalated")
    response = client_user.get(f"/sessions/{session.id}/")
    assert response.status_code == 200
    html = response.content.decode()

    assert f"data-total-score>{session.score}<" in html
    assert "badge-fail" in html
    assert "A forbidden phrase fails the session" in html
    for metric in session.metrics.all():
        assert f'id="criterion-{metric.criterion}"' in html
        assert f'max="100" value="{metric.score}"' in html
        assert metric.rationale in html or metric.rationale.replace("'", "&#x27;") in html
    assert 'class="bar-low"' in html
    # The forbidden phrase is highlighted in the agent's message and linked from its criterion.
    assert 'class="evidence"' in html
    assert ">Calm down</mark>" in html
    assert 'href="#ev-2-1"' in html
    assert 'id="ev-2-1"' in html
    assert "Tip:" in html
    assert 'action="/scenarios/router-reboot-loop/start/"' in html
    assert "data-next-scenario" in html
    assert "report.js" not in html  # nothing to wait for


def test_report_escapes_message_html_and_still_highlights(
    client_user, make_session, user, scenario
):
    turns = good_agent(ROUTER_SCENARIO)
    turns[1] = ("agent", "<script>alert('x')</script> Hi Dana & co, I'm sorry <b>really</b>.")
    session = scored(make_session, user, scenario, turns)
    html = client_user.get(f"/sessions/{session.id}/").content.decode()

    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;really&lt;/b&gt;" in html
    assert "<b>really</b>" not in html
    assert ">Hi</mark>" in html
    assert "Dana</mark>" in html
    assert "&amp; co" in html


def test_report_marks_the_customers_confirmation_and_offers_the_next_scenario_as_a_button(
    client_user, make_session, user, scenario
):
    next_up = ScenarioFactory(slug="wifi-crawls", title="Wi-Fi crawls <every> evening")
    session = scored(make_session, user, scenario, good_agent(ROUTER_SCENARIO))
    html = client_user.get(f"/sessions/{session.id}/").content.decode()

    # The customer's whole confirming message is marked, escaped, and the criterion links to it
    confirm = ROUTER_SCENARIO["customer_persona"]["resolution"]["confirm"]
    message = session.messages.get(role="customer", content=confirm)
    mark = re.search(
        rf'<mark id="(ev-{message.seq}-\d+)" class="evidence" title="([^"]*)">(.*?)</mark>', html
    )
    assert mark, "the confirmation is not highlighted"
    assert "Resolution" in mark.group(2)
    assert mark.group(3) == escape(confirm)
    criterion = html.split('id="criterion-resolution"')[1].split("</li>")[0]
    assert f'href="#{mark.group(1)}"' in criterion

    # "Next scenario" is a secondary button naming the scenario (escaped), beside "Try again"
    link = re.search(r"<a ([^>]*data-next-scenario[^>]*)>(.*?)</a>", html, re.S)
    assert link
    assert 'class="btn btn-secondary' in link.group(1)
    assert f'href="/scenarios/{next_up.slug}/"' in link.group(1)
    assert "Wi-Fi crawls &lt;every&gt; evening" in link.group(2)


def test_report_while_scoring_updates_itself(client_user, make_session, user, scenario):
    session = make_session(user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO))
    response = client_user.get(f"/sessions/{session.id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scoring your session" in html
    assert 'data-status="scoring"' in html
    assert f'data-ws-path="/ws/sessions/{session.id}/"' in html
    assert f'data-api-path="/api/v1/sessions/{session.id}/"' in html
    assert "js/report.js" in html


def test_abandoned_report_explains(client_user, make_session, user, scenario):
    session = make_session(
        user=user, scenario=scenario, turns=[], status=SessionStatus.ABANDONED, outcome=""
    )
    html = client_user.get(f"/sessions/{session.id}/").content.decode()
    assert "This session was abandoned" in html
    assert "no XP" in html


def test_report_query_count_does_not_grow_with_messages(client_user, make_session, user, scenario):
    short = scored(make_session, user, scenario, good_agent(ROUTER_SCENARIO))
    long_turns = good_agent(ROUTER_SCENARIO)
    long_turns[2:2] = [("agent", "Let me check that."), ("customer", "OK.")] * 15
    long = scored(make_session, user, scenario, long_turns)
    counts = []
    # The first page of a process loads the shared scenario catalogue (core.cache.ProcessMemo).
    assert client_user.get(f"/sessions/{short.id}/").status_code == 200
    for session in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert client_user.get(f"/sessions/{session.id}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_staff_sees_the_owners_level_not_their_own(
    client, make_session, user, staff_user, scenario
):
    session = scored(make_session, user, scenario, good_agent(ROUTER_SCENARIO))
    client.force_login(staff_user)
    html = client.get(f"/sessions/{session.id}/").content.decode()
    user.refresh_from_db()
    assert f"Level {user.level} · {user.xp} XP" in html


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_requires_login(client):
    response = client.get("/performance/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dashboard_empty_state(client_user):
    response = client_user.get("/performance/")
    assert response.status_code == 200
    assert "No scored sessions yet" in response.content.decode()


def test_dashboard_figures_charts_and_history(client_user, user, scenario):
    sessions = scored_sessions(user=user, scenario=scenario, count=4, start_score=69)
    scored_sessions(user=user, scenario=scenario, count=2, is_preview=True)
    html = client_user.get("/performance/").content.decode()

    assert 'data-stat="sessions">4<' in html  # previews excluded
    assert 'data-stat="pass-rate">75%<' in html  # 70, 71, 72 pass; 69 does not
    assert 'data-stat="strongest">Greeting<' in html
    assert 'data-stat="weakest">Resolution<' in html
    assert 'data-stat="time">40 min<' in html
    assert html.count("<polyline") == 4  # the total, and three criteria
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    for session in sessions:
        assert f'href="/sessions/{session.id}/"' in html


def test_dashboard_history_filters(client_user, user, scenario):
    advanced = ScenarioFactory(slug="hard-one", difficulty="advanced")
    starter_sessions = scored_sessions(user=user, scenario=scenario, count=3, start_score=60)
    advanced_old = scored_sessions(
        user=user, scenario=advanced, count=1, days_ago=40, start_score=90
    )[0]

    html = client_user.get("/performance/?difficulty=advanced").content.decode()
    assert f"/sessions/{advanced_old.id}/" in html
    assert all(f"/sessions/{s.id}/" not in html for s in starter_sessions)

    html = client_user.get("/performance/?passed=no").content.decode()
    failed = [s for s in starter_sessions if not s.passed]
    assert failed
    assert all(f"/sessions/{s.id}/" in html for s in failed)
    assert f"/sessions/{advanced_old.id}/" not in html  # scored 90: passed

    since = (timezone.now() - timedelta(days=10)).date().isoformat()
    html = client_user.get(f"/performance/?date_from={since}").content.decode()
    assert f"/sessions/{advanced_old.id}/" not in html
    assert all(f"/sessions/{s.id}/" in html for s in starter_sessions)

    until = (timezone.now() - timedelta(days=30)).date().isoformat()
    html = client_user.get(f"/performance/?date_to={until}").content.decode()
    assert f"/sessions/{advanced_old.id}/" in html
    assert all(f"/sessions/{s.id}/" not in html for s in starter_sessions)


def test_dashboard_rejects_an_inverted_date_range_politely(client_user, user, scenario):
    scored_sessions(user=user, scenario=scenario, count=1)
    response = client_user.get("/performance/?date_from=2030-01-02&date_to=2030-01-01&passed=x")
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_dashboard_shows_only_the_trainees_own_sessions(client_user, other_user, scenario):
    theirs = scored_sessions(user=other_user, scenario=scenario, count=2)
    html = client_user.get("/performance/").content.decode()
    assert all(f"/sessions/{s.id}/" not in html for s in theirs)


def test_dashboard_queries_do_not_grow_with_sessions(
    client_user, user, scenario, django_assert_max_num_queries
):
    scored_sessions(user=user, scenario=scenario, count=3)
    with CaptureQueriesContext(connection) as few:
        assert client_user.get("/performance/").status_code == 200
    scored_sessions(user=user, scenario=scenario, count=47)
    with CaptureQueriesContext(connection) as many:
        assert client_user.get("/performance/?difficulty=starter").status_code == 200
    assert len(few) == len(many)
    with django_assert_max_num_queries(len(few)):
        client_user.get("/performance/?page=2")
