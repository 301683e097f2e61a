"""Issue 18 §5: a session's report and transcript as PDF and CSV, a team's results as CSV — who
may download them, what they hold, and that neither a hostile cell nor an emoji breaks them."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import TeamMembership
from accounts.selectors import team_get_for_trainer
from accounts.services import team_create, trainer_role_grant
from performance import exports
from performance.models import PerformanceMetric, SessionReview
from sessions_app.models import ChatMessage, SessionHint, SessionStatus
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

TURNS = [
    ("customer", "My internet keeps cutting out every few minutes."),
    ("agent", "I'm sorry about that, Dana. What colour is the light on the router?"),
    ("customer", "The light on the front is blinking orange."),
    ("agent", "Hold the reset button on the back for 10 seconds."),
    ("customer", "Oh, it's back up. Thanks!"),
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def scored(make_session, *, user, scenario, turns=TURNS, **fields):
    """A scored session of `user` with two criteria, one corrected by a reviewer."""
    fields = {"score": 72, "passed": True, "status": SessionStatus.SCORED, **fields}
    session = make_session(user=user, scenario=scenario, turns=turns, **fields)
    messages = list(ChatMessage.objects.filter(session=session).order_by("seq"))
    apology = next((m for m in messages if "sorry" in m.content), messages[0])
    PerformanceMetric.objects.create(
        session=session,
        user=user,
        criterion="empathy",
        score=90,
        weight=40.0,
        machine_score=60,
        rationale="Acknowledged the frustration before asking questions.",
        evidence=[{"message_id": str(apology.id), "quote": apology.content[:20]}],
        tip="Name the impact on the customer's day.",
        review_comment="The apology came first: that counts.",
    )
    PerformanceMetric.objects.create(
        session=session,
        user=user,
        criterion="resolution",
        score=60,
        weight=60.0,
        rationale="Gave the reset steps from the knowledge base.",
    )
    return session


@pytest.fixture
def trainer():
    person = UserFactory(public_name="Coach Kim")
    trainer_role_grant(user=person)
    return person


@pytest.fixture
def team(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1 — Night shift")
    TeamMembership.objects.create(team=team, user=user)
    return team


@pytest.fixture
def router(db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


@pytest.fixture
def session(make_session, user, router, team, trainer):
    session = scored(make_session, user=user, scenario=router)
    SessionReview.objects.create(
        session=session, reviewer=trainer, machine_score=58, comment="A solid save overall."
    )
    return session


def pdf_url(session) -> str:
    return f"/performance/sessions/{session.pk}/export.pdf"


def csv_url(session) -> str:
    return f"/performance/sessions/{session.pk}/export.csv"


# --- one session -----------------------------------------------------------------------------


def test_the_owner_downloads_the_report_as_a_pdf_holding_the_report_and_the_transcript(
    session, user
):
    response = client_for(user).get(pdf_url(session))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    day = timezone.localtime(session.started_at).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="router-reboot-loop-{day}.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    # The fonts are subset: the whole DejaVu Sans alone is 740 KB.
    assert len(response.content) < 120_000

    text = pdf_text(response)
    for expected in (
        "Router stuck in a reboot loop",
        user.display_name,
        "Score: 72/100",
        "Passed: yes",
        "Reviewed by Coach Kim",
        "A solid save overall.",
        "The machine scored 58",
        "Empathy: 90/100 (weight 40%)",
        "the machine gave 60",
        "Acknowledged the frustration before asking questions.",
        "Name the impact on the customer's day.",
        "The apology came first: that counts.",
        "Resolution: 60/100",
        "Transcript",
        "What colour is the light on the router?",
        "Oh, it's back up. Thanks!",
    ):
        assert expected in text, expected


def test_the_owner_downloads_the_csv_as_summary_criteria_and_transcript_blocks(session, user):
    response = client_for(user).get(csv_url(session))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)

    assert rows[0] == ["Session report"]
    summary = dict(row for row in rows[1 : rows.index([])])
    assert summary["Scenario"] == "Router stuck in a reboot loop"
    assert summary["Trainee"] == user.display_name
    assert summary["Score"] == "72"
    assert summary["Passed"] == "yes"
    assert summary["Reviewed by"] == "Coach Kim"
    assert summary["Machine score"] == "58"
    assert summary["Duration (minutes)"] == "5.0"
    assert summary["Time zone"] == "UTC"

    criteria_at = rows.index(["Criteria"])
    header = rows[criteria_at + 1]
    assert header[:5] == ["Criterion", "Key", "Score", "Weight (%)", "Machine score"]
    empathy = dict(zip(header, rows[criteria_at + 2], strict=True))
    assert empathy["Criterion"] == "Empathy"
    assert empathy["Score"] == "90"
    assert empathy["Machine score"] == "60"
    assert empathy["Evidence"] == "“I'm sorry about that” (message 2)"
    assert empathy["Reviewer comment"] == "The apology came first: that counts."
    resolution = dict(zip(header, rows[criteria_at + 3], strict=True))
    assert resolution["Machine score"] == ""

    transcript_at = rows.index(["Transcript"])
    assert rows[transcript_at + 1] == ["#", "Time (UTC)", "Speaker", "Message"]
    messages = rows[transcript_at + 2 :]
    assert [row[0] for row in messages] == ["1", "2", "3", "4", "5"]
    assert messages[1][2:] == ["Trainee", TURNS[1][1]]
    assert messages[0][2] == "Customer"


def test_the_report_and_review_pages_link_to_both_downloads(session, user, trainer):
    report = client_for(user).get(f"/sessions/{session.pk}/").content.decode()
    review = client_for(trainer).get(f"/review/{session.pk}/").content.decode()
    for page in (report, review):
        assert f'href="{pdf_url(session)}"' in page
        assert f'href="{csv_url(session)}"' in page
        assert "Download PDF" in page
        assert "Download CSV" in page


def test_a_trainer_of_the_trainees_team_downloads_both(session, trainer):
    coach = client_for(trainer)
    assert coach.get(pdf_url(session)).content.startswith(b"%PDF")
    assert csv_rows(coach.get(csv_url(session)))[0] == ["Session report"]


def test_nobody_else_can_download_and_cannot_tell_the_session_exists(
    session, user, other_user, team, client
):
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    team_create(trainer=other_trainer, name="Another team")
    teammate = UserFactory()
    TeamMembership.objects.create(team=team, user=teammate)
    ghost = "00000000-0000-4000-8000-000000000000"
    for person in (other_user, other_trainer, teammate):
        browser = client_for(person)
        for url in (pdf_url(session), csv_url(session)):
            response = browser.get(url)
            assert response.status_code == 404, (person, url)
            assert b"%PDF" not in response.content
    assert client_for(other_user).get(f"/performance/sessions/{ghost}/export.pdf").status_code == (
        404
    )
    for url in (pdf_url(session), csv_url(session)):
        anonymous = client.get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
        assert client_for(user).post(url).status_code == 405


def test_a_trainer_loses_access_once_the_trainee_leaves_the_team(session, trainer, team, user):
    coach = client_for(trainer)
    assert coach.get(pdf_url(session)).status_code == 200
    TeamMembership.objects.filter(team=team, user=user).delete()
    assert coach.get(pdf_url(session)).status_code == 404
    assert coach.get(csv_url(session)).status_code == 404


@pytest.mark.parametrize("status", [SessionStatus.ACTIVE, SessionStatus.SCORING])
def test_a_session_without_a_report_has_nothing_to_download(
    make_session, user, router, team, trainer, status
):
    session = make_session(user=user, scenario=router, turns=TURNS, status=status)
    for person in (user, trainer):
        assert client_for(person).get(pdf_url(session)).status_code == 404
        assert client_for(person).get(csv_url(session)).status_code == 404


def test_a_preview_is_the_owners_alone(make_session, user, router, team, trainer):
    preview = scored(make_session, user=user, scenario=router, is_preview=True)
    assert client_for(user).get(pdf_url(preview)).status_code == 200
    assert client_for(trainer).get(pdf_url(preview)).status_code == 404


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(make_session, router, team, trainer):
    hostile = UserFactory(public_name='=HYPERLINK("http://x.io","go")')
    TeamMembership.objects.create(team=team, user=hostile)
    turns = [("agent", "=1+2"), ("customer", "+SUM(A1)"), ("agent", "-2+3"), ("agent", "@cmd")]
    session = scored(make_session, user=hostile, scenario=router, turns=turns)
    PerformanceMetric.objects.filter(session=session, criterion="resolution").update(
        rationale="=cmd|' /C calc'!A0", tip="\tTab first"
    )
    rows = csv_rows(client_for(hostile).get(csv_url(session)))
    cells = [cell for row in rows for cell in row]
    assert "'" + hostile.display_name in cells
    for text in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "=cmd|' /C calc'!A0", "\tTab first"):
        assert "'" + text in cells
        assert text not in cells
    # Numbers stay numbers, text that merely contains a sign stays as it is.
    assert "72" in cells
    assert "Acknowledged the frustration before asking questions." in cells

    team_rows = as_dicts(csv_rows(client_for(trainer).get(results_url(team))))
    assert [row["Trainee"] for row in team_rows] == ["'" + hostile.display_name]
    assert team_rows[0]["Score"] == "72"


def test_emoji_and_other_scripts_do_not_break_either_file(make_session, user, router, team):
    missing = "日"  # CJK: not in DejaVu Sans
    assert ord(missing) not in exports._drawable()
    words = f"Thanks 😀🦄 — Привет, Ελληνικά, مرحبا, {missing}本語 \x01 done\ttab"
    session = scored(make_session, user=user, scenario=router, turns=[("agent", words)])
    browser = client_for(user)
    pdf = browser.get(pdf_url(session))
    assert pdf.status_code == 200
    text = pdf_text(pdf)
    assert "Привет, Ελληνικά" in text
    assert missing not in text
    assert "\ufffd\ufffd\ufffd" in text  # each character the font lacks, drawn as U+FFFD
    rows = csv_rows(browser.get(csv_url(session)))
    assert rows[-1][3] == words  # the CSV keeps every character


def test_pdf_text_replaces_what_the_font_cannot_draw_and_drops_control_characters():
    assert exports.pdf_text("a\tb\r\nc\x00d\x07e") == "a   b\ncde"
    assert exports.pdf_text("日 ok") == "\ufffd ok"
    assert exports.pdf_text("Ünïcödé — Привет") == "Ünïcödé — Привет"


def test_a_long_transcript_costs_no_more_queries(
    make_session, user, router, team, trainer, django_assert_num_queries
):
    short = scored(make_session, user=user, scenario=router, turns=TURNS[:2])
    long_turns = [
        ("agent" if i % 2 else "customer", f"Message number {i}. " * 8) for i in range(80)
    ]
    long = scored(make_session, user=user, scenario=router, turns=long_turns)
    # The read itself: criteria, review, messages, hints.
    for target in (short, long):
        with django_assert_num_queries(4):
            report = exports.session_report(session=target)
    assert len(report.transcript) == 80

    for person in (user, trainer):
        browser = client_for(person)
        counts = []
        for target in (short, long):
            for url in (pdf_url(target), csv_url(target)):
                with CaptureQueriesContext(connection) as queries:
                    assert browser.get(url).status_code == 200
                counts.append(len(queries))
        assert counts[:2] == counts[2:], (person, counts)


def test_a_long_transcript_runs_onto_more_pages_and_every_page_is_numbered(
    make_session, user, router, team
):
    long_turns = [("agent", "A long, careful explanation of the reset. " * 20)] * 30
    session = scored(make_session, user=user, scenario=router, turns=long_turns)
    reader = PdfReader(io.BytesIO(client_for(user).get(pdf_url(session)).content))
    pages = len(reader.pages)
    assert pages > 3
    assert f"page {pages} of {pages}" in reader.pages[-1].extract_text()


# --- a team's results -----------------------------------------------------------------------


def results_url(team, **query) -> str:
    return f"/performance/teams/{team.pk}/results.csv" + (f"?{urlencode(query)}" if query else "")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def scored_at(user, scenario, started, *, criteria=(("empathy", 80),), **fields):
    fields = {"score": 75, "passed": True, "status": SessionStatus.SCORED, **fields}
    session = UserSessionFactory(
        user=user,
        scenario=scenario,
        outcome="resolved",
        started_at=started,
        ended_at=started + timedelta(minutes=12, seconds=30),
        scored_at=started + timedelta(minutes=13),
        **fields,
    )
    PerformanceMetric.objects.bulk_create(
        PerformanceMetric(session=session, user=user, criterion=key, score=score, weight=50.0)
        for key, score in criteria
    )
    return session


def as_dicts(rows):
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_team_csv_holds_the_members_scored_sessions_in_the_range(trainer, team, user, router):
    other_scenario = ScenarioFactory(title="Refund for a double charge")
    outsider, removed = UserFactory(), UserFactory()
    TeamMembership.objects.create(team=team, user=removed)
    first, last = date(2025, 3, 1), date(2025, 3, 31)
    scored_at(user, router, at(first, 0), criteria=[("empathy", 80), ("greeting", 90)])
    reviewed = scored_at(
        user, other_scenario, at(last, 23), criteria=[("resolution", 40)], score=65, passed=False
    )
    SessionReview.objects.create(session=reviewed, reviewer=trainer, machine_score=55)
    for seq in (2, 4):
        SessionHint.objects.create(session=reviewed, after_seq=seq, kind="ask", text="…")
    scored_at(user, router, at(first - timedelta(days=1), 23))  # the day before
    scored_at(user, router, at(last + timedelta(days=1), 0))  # the day after
    scored_at(user, router, at(first), is_preview=True)
    scored_at(user, router, at(first), status=SessionStatus.SCORING, score=None, passed=None)
    scored_at(user, router, at(first), status=SessionStatus.ABANDONED, score=None, passed=None)
    scored_at(outsider, router, at(first))  # not in the team
    scored_at(trainer, router, at(first))  # the trainer's own practice
    scored_at(removed, router, at(first))
    TeamMembership.objects.filter(team=team, user=removed).delete()

    response = client_for(trainer).get(
        results_url(team, **{"from": "2025-03-01", "to": "2025-03-31"})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tier-1-night-shift-results-2025-03-01-to-2025-03-31.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)
    assert rows[0] == [
        "Trainee",
        "E-mail",
        "Scenario",
        "Started (UTC)",
        "Ended (UTC)",
        "Duration (minutes)",
        "Score",
        "Machine score",
        "Passed",
        "Reviewed",
        "Hints",
        "Empathy",
        "Greeting",
        "Resolution",
    ]
    found = as_dicts(rows)
    assert len(found) == 2
    assert found[0] == {
        "Trainee": user.display_name,
        "E-mail": user.email,
        "Scenario": "Router stuck in a reboot loop",
        "Started (UTC)": "2025-03-01 00:00",
        "Ended (UTC)": "2025-03-01 00:12",
        "Duration (minutes)": "12.5",
        "Score": "75",
        "Machine score": "75",
        "Passed": "yes",
        "Reviewed": "no",
        "Hints": "0",
        "Empathy": "80",
        "Greeting": "90",
        "Resolution": "",
    }
    assert found[1]["Scenario"] == "Refund for a double charge"
    assert (found[1]["Score"], found[1]["Machine score"]) == ("65", "55")
    assert (found[1]["Passed"], found[1]["Reviewed"]) == ("no", "yes")
    assert (found[1]["Empathy"], found[1]["Resolution"]) == ("", "40")
    assert found[1]["Hints"] == "2"


def test_the_range_is_whole_days_in_the_trainers_time_zone(trainer, team, user, router):
    trainer.timezone = "Europe/Paris"
    trainer.save(update_fields=["timezone"])
    # 23:30 UTC on 31 March is already 1 April in Paris.
    scored_at(user, router, datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    coach = client_for(trainer)
    march = csv_rows(coach.get(results_url(team, **{"from": "2025-03-01", "to": "2025-03-31"})))
    april = as_dicts(
        csv_rows(coach.get(results_url(team, **{"from": "2025-04-01", "to": "2025-04-01"})))
    )
    assert len(march) == 1  # the header only
    assert april[0]["Started (Europe/Paris)"] == "2025-04-01 01:30"


def test_without_dates_the_team_csv_covers_the_last_30_days(trainer, team, user, router):
    today = timezone.localdate()
    scored_at(user, router, timezone.now() - timedelta(minutes=30))
    scored_at(user, router, at(today - timedelta(days=29), 6))
    scored_at(user, router, at(today - timedelta(days=31)))
    response = client_for(trainer).get(results_url(team))
    assert response.status_code == 200
    assert len(csv_rows(response)) == 1 + 2
    start = (today - timedelta(days=29)).isoformat()
    assert f"-results-{start}-to-{today.isoformat()}.csv" in response["Content-Disposition"]
    # Empty fields, as the form sends them, mean the same.
    assert csv_rows(client_for(trainer).get(results_url(team, **{"from": "", "to": ""}))) == (
        csv_rows(response)
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-13-01"}, "“2025-13-01” is not a date"),
        ({"to": "yesterday"}, "“yesterday” is not a date"),
        ({"from": "01/03/2025"}, "YYYY-MM-DD"),
        ({"from": "2025-W01-1"}, "not a date"),
        ({"to": "9999-12-31"}, "Dates go from 2000-01-01 to 2999-12-31"),
        ({"from": "2025-03-31", "to": "2025-03-01"}, "is after “to” (2025-03-01)"),
    ],
)
def test_bad_dates_answer_400_with_a_clear_message(trainer, team, query, message):
    response = client_for(trainer).get(results_url(team, **query))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Content-Disposition" not in response


def test_only_the_teams_trainers_get_its_results(team, user, other_user, client):
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    team_create(trainer=other_trainer, name="Another team")
    for person in (user, other_user, other_trainer):
        # Even with bad dates: nothing tells a stranger the team exists.
        assert client_for(person).get(results_url(team)).status_code == 404
        assert client_for(person).get(results_url(team, to="nope")).status_code == 404
    assert client_for(other_trainer).get("/performance/teams/999999/results.csv").status_code == 404
    anonymous = client.get(results_url(team))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_the_team_training_page_has_the_download_form(trainer, team):
    page = client_for(trainer).get(f"/teams/{team.pk}/training/").content.decode()
    assert f'action="/performance/teams/{team.pk}/results.csv"' in page
    assert 'type="date" id="results-from" name="from"' in page
    assert 'type="date" id="results-to" name="to"' in page


def _team_with(count: int, scenario):
    coach = UserFactory()
    trainer_role_grant(user=coach)
    team = team_create(trainer=coach, name=f"Team of {count}")
    members = UserFactory.create_batch(count)
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=m) for m in members)
    day = timezone.localdate() - timedelta(days=2)
    for index, member in enumerate(members):
        keys = ("empathy", "greeting", "resolution")
        scored_at(member, scenario, at(day), criteria=[(k, 70) for k in keys[: 1 + index % 3]])
        scored_at(member, scenario, at(day, 14), criteria=[("clarity", 50)])
    return coach, team


def test_the_team_csv_costs_the_same_queries_for_10_or_50_members(router):
    counts = []
    for size in (10, 50):
        coach, team = _team_with(size, router)
        browser = client_for(coach)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(results_url(team))
        assert len(csv_rows(response)) == 1 + 2 * size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_team_results_reads_in_two_queries_once_the_team_is_loaded(
    trainer, team, user, router, django_assert_num_queries
):
    scored_at(user, router, at(timezone.localdate()))
    loaded = team_get_for_trainer(user=trainer, team_id=team.pk)
    today = timezone.localdate()
    with django_assert_num_queries(2):
        results = exports.team_results(team=loaded, start=today, end=today)
    assert [row.trainee for row in results.rows] == [user.display_name]


def test_both_files_list_the_hints_the_trainee_took(session, user):
    from sessions_app.models import SessionHint

    SessionHint.objects.create(
        session=session, after_seq=3, replies=1, kind="ask", text="Ask about the light colour."
    )
    rows = csv_rows(client_for(user).get(csv_url(session)))
    summary = dict(row for row in rows[1 : rows.index([])])
    assert summary["Hints used"] == "1"
    assert summary["Hint 1 (after reply 1)"] == "Ask about the light colour."
    report = exports.session_report(session=session)
    assert b"%PDF" in exports.session_pdf(report)[:8]
    assert report.hints == ((1, "Ask about the light colour."),)
