import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from accounts.models import User, level_for_xp
from gamification.models import XPReason, XPTransaction
from gamification.selectors import iso_week_start, leaderboard

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def people(*xps, staff=False, prefix="p"):
    users = User.objects.bulk_create(
        User(
            email=f"{prefix}{i}-{xp}@example.com",
            first_name=f"{prefix.upper()}{i}",
            xp=xp,
            level=level_for_xp(xp),
            is_staff=staff,
        )
        for i, xp in enumerate(xps)
    )
    return list(User.objects.filter(email__in=[u.email for u in users]).order_by("id"))


def earn(user, amount, at):
    XPTransaction.objects.create(
        user=user, amount=amount, reason=XPReason.ADJUSTMENT, created_at=at
    )


def test_ties_share_a_rank_and_the_next_rank_skips():
    a, b, c, d = people(300, 200, 200, 100)
    board = leaderboard(period="all", limit=10, viewer=c)
    assert [(e.user_id, e.rank, e.xp) for e in board.entries] == [
        (a.pk, 1, 300),
        (b.pk, 2, 200),
        (c.pk, 2, 200),
        (d.pk, 4, 100),
    ]
    assert board.total == 4
    assert board.me.user_id == c.pk
    assert board.me.rank == 2
    assert [e.is_viewer for e in board.entries] == [False, False, True, False]


def test_viewer_outside_the_top_n_still_gets_their_rank():
    users = people(500, 400, 300, 200, 100)
    viewer = users[3]
    board = leaderboard(period="all", limit=2, viewer=viewer)
    assert [e.rank for e in board.entries] == [1, 2]
    assert board.me.rank == 4
    assert board.me.display_name == viewer.display_name
    assert board.me.level == viewer.level
    assert board.total == 5


def test_top_n_is_cut_by_position_even_inside_a_tie():
    people(100, 100, 100, 100)
    board = leaderboard(period="all", limit=2, viewer=None)
    assert [e.rank for e in board.entries] == [1, 1]


def test_staff_and_inactive_users_are_not_ranked():
    (trainee,) = people(10)
    (author,) = people(10_000, staff=True, prefix="s")
    User.objects.create_user("gone@example.com", "x", xp=5000, is_active=False)
    board = leaderboard(period="all", limit=10, viewer=author)
    assert [e.user_id for e in board.entries] == [trainee.pk]
    assert board.me is None
    assert board.total == 1


def test_iso_week_starts_monday_midnight_utc():
    wednesday = dt.datetime(2024, 5, 8, 12, tzinfo=UTC)
    assert iso_week_start(wednesday) == dt.datetime(2024, 5, 6, tzinfo=UTC)
    sunday_late = dt.datetime(2024, 5, 12, 23, 59, 59, tzinfo=UTC)
    assert iso_week_start(sunday_late) == dt.datetime(2024, 5, 6, tzinfo=UTC)
    # Crossing a year: ISO week 1 of 2025 starts on Monday 30 December 2024.
    assert iso_week_start(dt.datetime(2025, 1, 1, tzinfo=UTC)) == dt.datetime(
        2024, 12, 30, tzinfo=UTC
    )
    # Monday 01:00 in Auckland is still Sunday in UTC: the previous week.
    auckland = dt.datetime(2024, 5, 13, 1, tzinfo=zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert iso_week_start(auckland) == dt.datetime(2024, 5, 6, tzinfo=UTC)


def test_week_board_counts_only_this_iso_weeks_ledger():
    now = dt.datetime(2024, 5, 8, 12, tzinfo=UTC)
    monday = dt.datetime(2024, 5, 6, tzinfo=UTC)
    early, late, old_timer, viewer = people(1000, 10, 5000, 0)
    earn(early, 30, monday)  # the first instant of the week counts
    earn(early, 20, now)
    earn(late, 50, monday + dt.timedelta(days=6, hours=23, minutes=59))
    earn(old_timer, 500, monday - dt.timedelta(seconds=1))  # Sunday 23:59:59: last week
    earn(old_timer, 40, now)
    earn(viewer, 999, monday + dt.timedelta(days=7))  # next week

    board = leaderboard(period="week", limit=10, viewer=viewer, now=now)

    assert [(e.user_id, e.rank, e.xp) for e in board.entries] == [
        (early.pk, 1, 50),
        (late.pk, 1, 50),
        (old_timer.pk, 3, 40),
    ]
    assert board.entries[0].total_xp == 1000
    assert board.since == monday
    assert board.total == 3
    assert board.me is None  # no XP this week yet


def test_week_board_includes_achievement_bonuses_and_excludes_staff(scored):
    from gamification.services import process_scored_session

    (trainee,) = people(0)
    (author,) = people(0, staff=True, prefix="s")
    process_scored_session(session=scored(user=trainee, score=100))
    earn(author, 100, timezone.now())
    trainee.refresh_from_db()
    board = leaderboard(period="week", limit=10, viewer=trainee)
    assert [(e.user_id, e.xp) for e in board.entries] == [(trainee.pk, trainee.xp)]
    assert trainee.xp > 50  # the session's 50 plus achievement bonuses


@pytest.mark.parametrize("count", [10, 500])
@pytest.mark.parametrize("period", ["all", "week"])
def test_leaderboard_is_one_query(count, period, django_assert_num_queries):
    users = people(*[(i * 7) % 300 for i in range(count)])
    now = timezone.now()
    XPTransaction.objects.bulk_create(
        XPTransaction(user=u, amount=1 + i % 5, reason=XPReason.ADJUSTMENT, created_at=now)
        for i, u in enumerate(users)
    )
    viewer = users[-1]
    with django_assert_num_queries(1):
        board = leaderboard(period=period, limit=10, viewer=viewer)
    assert len(board.entries) == 10
    assert board.total == count
    assert board.me is not None


# --- API -----------------------------------------------------------------------------------


def test_api_defaults_to_all_time_top_ten(api_client, user):
    people(*range(100, 1300, 100))
    body = api_client.get("/api/v1/leaderboard/").json()
    assert body["success"] is True
    assert len(body["data"]) == 10
    assert set(body["data"][0]) >= {"rank", "display_name", "level", "xp"}
    # Other trainees' account ids are nobody's business.
    assert all("user_id" not in row for row in [*body["data"], body["meta"]["me"]])
    assert body["data"][0]["xp"] == 1200
    assert body["meta"]["period"] == "all"
    assert body["meta"]["limit"] == 10
    assert body["meta"]["total"] == 13
    assert body["meta"]["me"]["rank"] == 13
    assert body["meta"]["me"]["is_me"] is True
    assert body["meta"]["me"]["display_name"] == user.display_name


def test_api_week_and_limit(api_client, user):
    people(5, 6, 7)
    earn(user, 10, timezone.now())
    body = api_client.get("/api/v1/leaderboard/?period=week&limit=1").json()
    assert [(row["display_name"], row["is_me"]) for row in body["data"]] == [
        (user.display_name, True)
    ]
    assert body["meta"]["period"] == "week"
    assert body["meta"]["me"]["rank"] == 1
    assert body["meta"]["me"]["xp"] == 10


def test_api_caps_limit_at_100(api_client):
    body = api_client.get("/api/v1/leaderboard/?limit=1000").json()
    assert body["meta"]["limit"] == 100


@pytest.mark.parametrize(
    "query", ["period=month", "period=ALL", "limit=0", "limit=-3", "limit=ten"]
)
def test_api_rejects_bad_parameters_with_the_envelope(api_client, query):
    response = api_client.get(f"/api/v1/leaderboard/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    assert "details" in body


def test_api_needs_login():
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/leaderboard/")
    assert response.status_code == 401
    assert response.json()["error"]


def test_api_staff_viewer_is_unranked(staff_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(staff_user)
    me = client.get("/api/v1/leaderboard/").json()["meta"]["me"]
    assert me["rank"] is None
    assert (me["display_name"], me["is_me"]) == (staff_user.display_name, True)


# --- Page ----------------------------------------------------------------------------------


def test_page_highlights_the_viewer_outside_the_top(client, user):
    people(*range(100, 3100, 100))  # 30 trainees ahead of the viewer
    client.force_login(user)
    response = client.get("/leaderboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="is-me"') == 1
    assert ">31</td>" in html
    assert 'aria-current="page">All time' in html


def test_page_week_tab(client, user):
    earn(user, 42, timezone.now())
    client.force_login(user)
    html = client.get("/leaderboard/?period=week").content.decode()
    assert 'aria-current="page">This week' in html
    assert "<td>42</td>" in html


def test_page_requires_login(client):
    response = client.get("/leaderboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("count", [10, 500])
def test_page_query_count_is_constant(count, client, user, django_assert_num_queries):
    people(*range(count))
    client.force_login(user)
    client.get("/leaderboard/")  # warm the session, middleware and ranking caches
    # session, user; the ranking comes from this process's copy
    with django_assert_num_queries(2):
        assert client.get("/leaderboard/").status_code == 200


def test_entry_data_matches_the_serializer():
    from gamification.api.serializers import LeaderboardEntrySerializer, entry_data

    users = people(50, 30, 30, prefix="s")
    board = leaderboard(period="all", limit=2, viewer=users[2])
    assert board.me is not None
    for entry in [*board.entries, board.me]:
        assert entry_data(entry) == LeaderboardEntrySerializer(entry).data
