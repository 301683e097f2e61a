import datetime as dt
import zoneinfo

import pytest

from accounts.models import User
from gamification.achievements import build_context
from gamification.selectors import streak_for_user, streak_from_days
from tests.gamification.conftest import make_scored

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def trainee(zone):
    return User.objects.create_user(
        f"{zone.replace('/', '-').lower()}@example.com", "x", timezone=zone
    )


def both_ways(user, now):
    """The selector (dates computed by the database) and the achievements context (in Python)
    must agree."""
    by_db = streak_for_user(user=user, now=now)
    by_rules = build_context(user=user, now=now).streak
    assert (by_db.current, by_db.best) == (by_rules.current, by_rules.best)
    return by_db


def test_pure_streak_counting():
    d = dt.date
    assert streak_from_days([], today=d(2024, 1, 5)).best == 0
    days = [d(2024, 1, 1), d(2024, 1, 2), d(2024, 1, 4), d(2024, 1, 5), d(2024, 1, 6)]
    assert streak_from_days(days, today=d(2024, 1, 6)).current == 3
    assert streak_from_days(days, today=d(2024, 1, 7)).current == 3  # today not over yet
    gone = streak_from_days(days, today=d(2024, 1, 8))
    assert (gone.current, gone.best) == (0, 3)


@pytest.mark.parametrize(
    ("zone", "moments"),
    [
        # UTC−10: 09:30 UTC is 23:30 the previous local day, 10:30 UTC is 00:30.
        (
            "Pacific/Honolulu",
            [
                utc(2024, 5, 2, 9, 30),
                utc(2024, 5, 2, 10, 30),
                utc(2024, 5, 3, 9, 30),
                utc(2024, 5, 3, 10, 30),
            ],
        ),
        # UTC+13: 10:30 UTC is 23:30 local, 11:30 UTC is 00:30 the next local day.
        (
            "Pacific/Tongatapu",
            [
                utc(2024, 5, 1, 10, 30),
                utc(2024, 5, 1, 11, 30),
                utc(2024, 5, 2, 10, 30),
                utc(2024, 5, 2, 11, 30),
            ],
        ),
    ],
)
def test_streak_across_local_midnight(zone, moments):
    user = trainee(zone)
    for moment in moments:
        make_scored(user=user, at=moment, score=20)
    last_local_day = moments[-1].astimezone(zoneinfo.ZoneInfo(zone)).date()
    # Local days: D, D+1, D+1, D+2 → three in a row; counted in UTC it would be two.
    streak = both_ways(user, now=moments[-1] + dt.timedelta(hours=1))
    assert (streak.current, streak.best, streak.last_day) == (3, 3, last_local_day)

    utc_user = trainee("UTC")
    for moment in moments:
        make_scored(user=utc_user, at=moment, score=20)
    assert both_ways(utc_user, now=moments[-1]).best == 2


def test_current_streak_ends_when_a_local_day_passes_without_practice():
    user = trainee("Pacific/Honolulu")
    for moment in [utc(2024, 5, 2, 9, 30), utc(2024, 5, 2, 10, 30), utc(2024, 5, 3, 10, 30)]:
        make_scored(user=user, at=moment, score=20)
    # Last practice on local May 3. Local May 4 23:00 (UTC May 5 09:00): still current.
    assert both_ways(user, now=utc(2024, 5, 5, 9, 0)).current == 3
    # Local May 5 00:30 (UTC May 5 10:30): May 4 passed without practice.
    broken = both_ways(user, now=utc(2024, 5, 5, 10, 30))
    assert (broken.current, broken.best) == (0, 3)


def test_streak_across_spring_forward_in_new_york():
    user = trainee("America/New_York")
    # Sat 12:00 EST, Sun 12:00 EDT (clocks jumped at 02:00), Mon 00:30 EDT = 04:30 UTC.
    # A fixed UTC−5 offset would put the last one on Sunday 23:30.
    for moment in [utc(2024, 3, 9, 17), utc(2024, 3, 10, 16), utc(2024, 3, 11, 4, 30)]:
        make_scored(user=user, at=moment, score=20)
    streak = both_ways(user, now=utc(2024, 3, 11, 5))
    assert (streak.current, streak.best) == (3, 3)


def test_streak_across_fall_back_in_new_york():
    user = trainee("America/New_York")
    # Sat 23:30 EDT and Sun 23:30 EST (the clocks went back at 02:00): two local days.
    # A fixed UTC−4 offset would put the second on Monday 00:30 and break the streak.
    for moment in [utc(2024, 11, 3, 3, 30), utc(2024, 11, 4, 4, 30)]:
        make_scored(user=user, at=moment, score=20)
    streak = both_ways(user, now=utc(2024, 11, 4, 5))
    assert (streak.current, streak.best, streak.last_day) == (2, 2, dt.date(2024, 11, 3))


def test_previews_and_unscored_sessions_do_not_count(staff_user):
    from tests.factories import UserSessionFactory

    User.objects.filter(pk=staff_user.pk).update(timezone="UTC")
    make_scored(user=staff_user, at=utc(2024, 5, 1, 12), preview=True)
    UserSessionFactory(user=staff_user, started_at=utc(2024, 5, 2, 12))  # still active
    make_scored(user=staff_user, at=utc(2024, 5, 3, 12))
    staff_user.refresh_from_db()
    streak = both_ways(staff_user, now=utc(2024, 5, 3, 13))
    assert (streak.current, streak.best) == (1, 1)


def test_me_api_carries_the_streak(api_client, user):
    from django.utils import timezone

    make_scored(user=user, at=timezone.now() - dt.timedelta(days=1))
    make_scored(user=user, at=timezone.now())
    data = api_client.get("/api/v1/users/me/").json()["data"]
    assert data["streak"] == {"current": 2, "best": 2}
