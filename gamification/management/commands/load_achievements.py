from django.core.management.base import BaseCommand

from gamification.catalog import DEFAULT_ACHIEVEMENTS
from gamification.models import Achievement


class Command(BaseCommand):
    help = (
        "Create the default achievements that are missing. Existing ones keep the authors' "
        "edits unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite name, description, icon, bonus XP and rule with the defaults.",
        )

    def handle(self, *args, reset=False, **options):
        created = updated = 0
        for order, spec in enumerate(DEFAULT_ACHIEVEMENTS, start=1):
            fields = {key: value for key, value in spec.items() if key != "key"}
            fields["sort_order"] = order * 10
            if reset:
                _, was_created = Achievement.objects.update_or_create(
                    key=spec["key"], defaults={**fields, "is_active": True}
                )
                updated += not was_created
            else:
                _, was_created = Achievement.objects.get_or_create(key=spec["key"], defaults=fields)
            created += was_created
        if options.get("verbosity", 1) < 1:
            return
        self.stdout.write(
            f"Achievements: {created} created, {updated} reset, "
            f"{Achievement.objects.count()} in total."
        )
