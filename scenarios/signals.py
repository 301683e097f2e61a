"""Any saved, deleted or re-linked scenario changes what the catalogue shows: every process
rebuilds its copy (`scenarios.selectors.catalogue_memo`). Bulk `update()` sends no signal;
the services that use it call `catalogue_changed` themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from scenarios.models import Scenario
from scenarios.selectors import catalogue_changed


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
