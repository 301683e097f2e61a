"""What gamification hears from below; each receiver only hands over to a service.

- A scored session earns its XP and achievements, in the scoring transaction; a reviewed one
  has its XP corrected, in the review's.
- Saves of users that change who is ranked or what a ranked row shows, wherever they come from
  (sign-up, the profile form and API, the admin, deactivation), move the leaderboard on.
"""

from django.dispatch import receiver

from accounts.models import User
from core.cache import bump_on_save
from gamification.selectors import LEADERBOARD
from gamification.services import process_scored_session, xp_correct_after_review
from sessions_app.signals import session_rescored, session_scored

# Signing in saves only `last_login` (and a password rehash only `password`): those must not
# make every process recompute the ranking.
RANKING_FIELDS = frozenset(
    {"public_name", "first_name", "last_name", "is_active", "is_staff", "on_leaderboard", "xp"}
    | {"level"}
)
# `now`: the trainee who renamed or hid themselves sees it on their next page.
bump_on_save(LEADERBOARD, User, fields=RANKING_FIELDS, now=True)


@receiver(session_scored, dispatch_uid="gamification.award_scored_session")
def _session_scored(sender, *, session, **kwargs):
    process_scored_session(session=session)


@receiver(session_rescored, dispatch_uid="gamification.correct_after_review")
def _session_rescored(sender, *, session, **kwargs):
    xp_correct_after_review(session=session)
