from django.core.management.base import BaseCommand, CommandError

from scenarios.exceptions import ScenarioImportError
from scenarios.loader import ScenarioFileError, read_documents
from scenarios.services import scenarios_import


class Command(BaseCommand):
    help = (
        "Create or update scenarios from YAML or JSON files (one scenario or a list per file). "
        "All files are imported in one transaction: if any is invalid, nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files")

    def handle(self, *args, paths, **options):
        try:
            result = scenarios_import(documents=read_documents(paths))
        except ScenarioFileError as error:
            raise CommandError(f"{error}\nNothing was imported.") from None
        except ScenarioImportError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(
                f"{len(error.problems)} problem(s); nothing was imported:\n{lines}"
            ) from None
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.created) + len(result.updated)} scenario(s): "
                f"{len(result.created)} created, {len(result.updated)} updated."
            )
        )
