"""What gamification hears from below; each receiver only hands over to a service.

- A scored session earns its XP and achievements, in the scoring transaction.
- Saves of users that change the leaderboard, wherever they come from (sign-up, the profile
  form and API, the admin, deactivation)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from gamification.services import leaderboard_invalidate, process_scored_session
from sessions_app.signals import session_scored

# What a ranked row shows or who is ranked. Signing in saves only `last_login` (and a password
# rehash only `password`): those must not make every process recompute the ranking.
RANKING_FIELDS = frozenset(
    {"first_name", "last_name", "email", "is_active", "is_staff", "xp", "level"}
)


@receiver(post_save, sender=User, dispatch_uid="gamification.leaderboard_user_saved")
def _user_saved(sender, instance, created, update_fields, **kwargs):
    # A save without `update_fields` (the admin's form) may have changed anything.
    if created or update_fields is None or RANKING_FIELDS.intersection(update_fields):
        leaderboard_invalidate()


@receiver(post_delete, sender=User, dispatch_uid="gamification.leaderboard_user_deleted")
def _user_deleted(sender, instance, **kwargs):
    leaderboard_invalidate()


@receiver(session_scored, dispatch_uid="gamification.award_scored_session")
def _session_scored(sender, *, session, **kwargs):
    process_scored_session(session=session)
