"""Any saved, deleted or re-linked scenario changes what the catalogue shows: every process
rebuilds its copy (`scenarios.selectors.catalogue_memo`). Bulk `update()` sends no signal;
the services that use it call `catalogue_changed` themselves.

A session started, ended, scored or deleted changes its trainee's standing (progress and
criterion averages, `scenarios.selectors.trainee_standing`); a chat turn's save does not."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from scenarios.models import Scenario
from scenarios.selectors import catalogue_changed, standing_changed

# The fields of a session that progress and averages are computed from.
STANDING_FIELDS = frozenset({"user", "scenario", "status", "score", "passed", "is_preview"})


@receiver(post_save, sender=Scenario, dispatch_uid="scenarios.catalogue.save")
@receiver(post_delete, sender=Scenario, dispatch_uid="scenarios.catalogue.delete")
def _scenario_written(sender, **kwargs):
    catalogue_changed()


@receiver(
    m2m_changed, sender=Scenario.prerequisites.through, dispatch_uid="scenarios.catalogue.m2m"
)
def _prerequisites_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed()


@receiver(post_save, sender="sessions_app.UserSession", dispatch_uid="scenarios.standing.save")
def _session_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or STANDING_FIELDS.intersection(update_fields):
        standing_changed(instance.user_id)


@receiver(post_delete, sender="sessions_app.UserSession", dispatch_uid="scenarios.standing.del")
def _session_deleted(sender, instance, **kwargs):
    standing_changed(instance.user_id)
