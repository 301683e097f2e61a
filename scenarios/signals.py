"""Any saved, deleted or re-linked scenario changes what the catalogue shows: every process
rebuilds its copy (`scenarios.selectors.catalogue_memo`). Bulk `update()` sends no signal;
the services that use it bump `CATALOGUE` themselves."""

from core.cache import bump_on_save
from scenarios.models import Scenario
from scenarios.selectors import CATALOGUE

# `now`: an author's own next read, in the same transaction, already sees the change.
bump_on_save(CATALOGUE, Scenario, now=True)
bump_on_save(CATALOGUE, Scenario.prerequisites.through, now=True)
