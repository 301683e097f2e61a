"""A session started, ended, scored or deleted changes its trainee's standing (progress and
criterion averages, `overview.progress.trainee_standing`); a chat turn's save does not. A new
assignment or a change of team changes what is unlocked for them (`Unlocked`), which moves
on with the standing too, so that both are read afresh together."""

from django.dispatch import receiver

from accounts.models import TeamMembership
from core.cache import bump_on_save
from overview.progress import ASSIGNED, STANDING
from sessions_app.models import UserSession
from sessions_app.signals import assignment_created

# The fields of a session that progress and averages are computed from.
STANDING_FIELDS = frozenset({"user", "scenario", "status", "score", "passed", "is_preview"})

# `now`: the trainee's next page in the same request (a redirect after starting) sees it.
bump_on_save(
    STANDING, UserSession, fields=STANDING_FIELDS, part=lambda session: session.user_id, now=True
)

# What assignments unlock for a trainee changes with their teams and with new assignments; it
# also moves on with their sessions, so that a page reads both afresh or neither (the same
# number of queries after any change).
bump_on_save(ASSIGNED, TeamMembership, part=lambda membership: membership.user_id, now=True)
bump_on_save(
    ASSIGNED, UserSession, fields=STANDING_FIELDS, part=lambda session: session.user_id, now=True
)


@receiver(assignment_created, dispatch_uid="overview.assigned")
def _assignment_created(sender, *, user_ids, **kwargs):
    for user_id in user_ids:
        ASSIGNED.bump(user_id, now=True)
