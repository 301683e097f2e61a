"""A session started, ended, scored or deleted changes its trainee's standing (progress and
criterion averages, `overview.progress.trainee_standing`); a chat turn's save does not."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from overview.progress import standing_changed
from sessions_app.models import UserSession

# The fields of a session that progress and averages are computed from.
STANDING_FIELDS = frozenset({"user", "scenario", "status", "score", "passed", "is_preview"})


@receiver(post_save, sender=UserSession, dispatch_uid="overview.standing.save")
def _session_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or STANDING_FIELDS.intersection(update_fields):
        standing_changed(instance.user_id)


@receiver(post_delete, sender=UserSession, dispatch_uid="overview.standing.del")
def _session_deleted(sender, instance, **kwargs):
    standing_changed(instance.user_id)
