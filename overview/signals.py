"""A session started, ended, scored or deleted changes its trainee's standing (progress and
criterion averages, `overview.progress.trainee_standing`); a chat turn's save does not."""

from core.cache import bump_on_save
from overview.progress import STANDING
from sessions_app.models import UserSession

# The fields of a session that progress and averages are computed from.
STANDING_FIELDS = frozenset({"user", "scenario", "status", "score", "passed", "is_preview"})

# `now`: the trainee's next page in the same request (a redirect after starting) sees it.
bump_on_save(
    STANDING, UserSession, fields=STANDING_FIELDS, part=lambda session: session.user_id, now=True
)
