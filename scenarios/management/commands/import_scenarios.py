from django.core.management.base import BaseCommand, CommandError

from scenarios.exceptions import ScenarioImportError
from scenarios.loader import ScenarioFileError, read_documents
from scenarios.services import scenarios_import, scenarios_import_plan


class Command(BaseCommand):
    help = (
        "Create or update scenarios from YAML or JSON files (one scenario or a list per file). "
        "All files are imported in one transaction: if any is invalid, nothing is imported. "
        "With --dry-run, list what would be created, updated or left as it is, writing nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files and show what would change, without importing anything.",
        )

    def handle(self, *args, paths, dry_run=False, **options):
        nothing = "Nothing was changed." if dry_run else "Nothing was imported."
        try:
            documents = read_documents(paths)
            if dry_run:
                plan = scenarios_import_plan(documents=documents)
            else:
                result = scenarios_import(documents=documents)
        except ScenarioFileError as error:
            raise CommandError(f"{error}\n{nothing}") from None
        except ScenarioImportError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(
                f"{len(error.problems)} problem(s); {nothing[0].lower()}{nothing[1:]}\n{lines}"
            ) from None
        warnings = plan.warnings if dry_run else result.warnings
        for warning in warnings:
            self.stderr.write(self.style.WARNING(warning))
        if dry_run:
            self._show_plan(plan)
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.created) + len(result.updated)} scenario(s): "
                f"{len(result.created)} created, {len(result.updated)} updated."
            )
        )

    def _show_plan(self, plan) -> None:
        for planned in plan.created:
            self.stdout.write(f"create     {planned.slug}  “{planned.title}”")
        for planned in plan.updated:
            fields = ", ".join(planned.changed_fields)
            self.stdout.write(f"update     {planned.slug}  “{planned.title}”: {fields}")
        for planned in plan.unchanged:
            self.stdout.write(f"unchanged  {planned.slug}  “{planned.title}”")
        self.stdout.write(
            self.style.SUCCESS(
                f"Dry run: {len(plan.created)} to create, {len(plan.updated)} to update, "
                f"{len(plan.unchanged)} unchanged. Nothing was changed."
            )
        )
