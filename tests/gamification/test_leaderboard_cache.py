"""The leaderboard's ranking is kept per process and recomputed only when the shared version
moves (XP, new, renamed or deactivated trainees), the ISO week changes or it grows too old."""

import datetime as dt
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import user_deactivate, user_update_profile
from core import cache as memo
from gamification import selectors
from gamification.models import XPReason
from gamification.selectors import leaderboard, leaderboard_version
from gamification.services import process_scored_session, xp_award
from tests.factories import UserFactory
from tests.gamification.test_leaderboard import earn, people

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def board_of(viewer=None, **kwargs):
    return leaderboard(period=kwargs.pop("period", "all"), limit=10, viewer=viewer, **kwargs)


@pytest.mark.parametrize("period", ["all", "week"])
def test_a_second_read_runs_no_query(period, django_assert_num_queries):
    users = people(30, 20, 10)
    for user in users:
        earn(user, 5, dt.datetime.now(UTC))
    with django_assert_num_queries(1):
        first = board_of(users[2], period=period)
    with django_assert_num_queries(0):
        second = board_of(users[2], period=period)
    assert second == first
    assert second.me.user_id == users[2].pk
    assert second.me.is_viewer


def test_every_viewer_gets_their_own_row_from_the_shared_ranking(django_assert_num_queries):
    users = people(*range(100, 2100, 100))  # 20 trainees
    board_of(users[0])
    with django_assert_num_queries(0):
        for expected_rank, viewer in enumerate(reversed(users), start=1):
            board = leaderboard(period="all", limit=3, viewer=viewer)
            assert board.me.rank == expected_rank
            assert board.me.user_id == viewer.pk
            assert [e.is_viewer for e in board.entries] == [
                e.user_id == viewer.pk for e in board.entries
            ]
            assert board.total == 20


def test_xp_awarded_through_the_service_shows_at_once(django_capture_on_commit_callbacks):
    low, high = people(10, 50)
    assert board_of(low).me.rank == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert xp_award(user_id=low.pk, amount=100, reason=XPReason.ADJUSTMENT)
    board = board_of(low)
    assert board.me.rank == 1
    assert board.me.xp == 110
    assert [e.user_id for e in board.entries] == [low.pk, high.pk]


def test_the_version_moves_only_after_commit(django_capture_on_commit_callbacks):
    (trainee,) = people(10)
    before = leaderboard_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        xp_award(user_id=trainee.pk, amount=5, reason=XPReason.ADJUSTMENT)
    # Other processes must not rebuild from a transaction they cannot see yet.
    assert leaderboard_version() == before
    for callback in callbacks:
        callback()
    assert leaderboard_version() != before


def test_a_scored_session_moves_the_week_board(scored, django_capture_on_commit_callbacks):
    rival, trainee = people(0, 0)
    earn(rival, 20, dt.datetime.now(UTC))
    assert board_of(trainee, period="week").me is None
    with django_capture_on_commit_callbacks(execute=True):
        process_scored_session(session=scored(user=trainee, score=100))
    board = board_of(trainee, period="week")
    assert board.me.rank == 1
    assert board.total == 2


def test_a_rename_shows_at_once(django_capture_on_commit_callbacks):
    (trainee,) = people(10)
    assert board_of(trainee).me.display_name == "P0"
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(user=trainee, data={"first_name": "Ada", "last_name": "Lovelace"})
    assert board_of(trainee).me.display_name == "Ada Lovelace"


def test_a_rename_through_the_api_shows_at_once(
    api_client, user, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/v1/leaderboard/").json()["meta"]["me"]["rank"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch("/api/v1/users/me/", {"first_name": "Grace"}, format="json")
    assert response.status_code == 200
    me = api_client.get("/api/v1/leaderboard/").json()["meta"]["me"]
    assert me["display_name"] == f"Grace {user.last_name}"


def test_new_and_deactivated_trainees_show_at_once(django_capture_on_commit_callbacks):
    (trainee,) = people(10)
    assert board_of().total == 1
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = UserFactory(xp=500)
    assert [e.user_id for e in board_of().entries] == [newcomer.pk, trainee.pk]
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=newcomer)
    assert [e.user_id for e in board_of().entries] == [trainee.pk]


def test_a_login_does_not_invalidate(client, user, password, django_capture_on_commit_callbacks):
    people(10, 20)
    board_of(user)
    before = leaderboard_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None  # the login did save the user
    assert leaderboard_version() == before


def test_saves_of_other_fields_do_not_invalidate(user, django_capture_on_commit_callbacks):
    before = leaderboard_version()
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(user=user, data={"timezone": "Europe/Paris", "preferences": {}})
    assert leaderboard_version() == before


def test_a_new_week_starts_a_new_ranking(django_assert_num_queries):
    (trainee,) = people(0)
    this_week = dt.datetime(2024, 5, 8, 12, tzinfo=UTC)
    next_week = this_week + dt.timedelta(days=7)
    earn(trainee, 30, this_week)
    assert board_of(period="week", now=this_week).entries[0].xp == 30
    with django_assert_num_queries(1):
        board = board_of(period="week", now=next_week)
    assert board.entries == []
    assert board.since == dt.datetime(2024, 5, 13, tzinfo=UTC)
    with django_assert_num_queries(0):
        board_of(period="week", now=next_week + dt.timedelta(days=1))


def test_the_ranking_is_recomputed_after_the_max_age(
    settings, monkeypatch, django_assert_num_queries
):
    settings.LEADERBOARD_CACHE_SECONDS = 30
    (trainee,) = people(10)
    board_of()
    # A write that bypasses the services (here the ORM directly) shows within the max age.
    type(trainee).objects.filter(pk=trainee.pk).update(xp=99)
    assert board_of().entries[0].xp == 10
    later = time.monotonic() + 31
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    with django_assert_num_queries(1):
        assert board_of().entries[0].xp == 99


def test_zero_seconds_queries_every_time(settings, django_assert_num_queries):
    settings.LEADERBOARD_CACHE_SECONDS = 0
    users = people(*range(0, 500, 10))
    board_of(users[0])
    for _ in range(2):
        with django_assert_num_queries(1):
            board = leaderboard(period="all", limit=5, viewer=users[0])
        assert len(board.entries) == 5
        assert board.me.rank == 50
        assert board.total == 50


def test_a_cache_flush_starts_a_fresh_version(django_assert_num_queries):
    people(10)
    board_of()
    cache.clear()
    with django_assert_num_queries(1):
        board_of()


def test_threads_that_miss_together_compute_once(monkeypatch):
    computed = []
    rows = [selectors._RankedRow(1, 7, "Ada", 1, 10, 10)]

    def slow_rows(*, period, since):
        computed.append(period)
        time.sleep(0.05)
        return rows

    monkeypatch.setattr(selectors, "_ranked_rows", slow_rows)
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                selectors.ranking_memo.get("all", None, slot="all", max_age=30)
            )
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == ["all"]
    assert len({id(r) for r in results}) == 1


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize("period", ["all", "week"])
def test_api_query_count_is_constant(count, period, django_capture_on_commit_callbacks):
    users = people(*range(count))
    now = dt.datetime.now(UTC)
    for user in users:
        earn(user, 1 + user.xp % 7, now)
    client = APIClient()
    client.force_authenticate(users[0])
    path = f"/api/v1/leaderboard/?period={period}"

    def queries_of_one_request():
        with CaptureQueriesContext(connection) as queries:
            body = client.get(path).json()
        assert body["meta"]["total"] == count
        return len(queries.captured_queries)

    assert queries_of_one_request() == 1  # the first request computes the ranking
    assert queries_of_one_request() == 0  # later ones read it from memory
    with django_capture_on_commit_callbacks(execute=True):
        xp_award(user_id=users[0].pk, amount=1, reason=XPReason.ADJUSTMENT)
    assert queries_of_one_request() == 1
    assert queries_of_one_request() == 0
