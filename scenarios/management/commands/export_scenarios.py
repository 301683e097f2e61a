from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scenarios.exceptions import ScenarioNotFound
from scenarios.services import scenarios_export


class Command(BaseCommand):
    help = (
        "Write scenarios as YAML in the import format (all of them, or --slug S, repeatable). "
        "One slug gives a one-scenario file, otherwise a list."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", action="append", dest="slugs", metavar="S")
        parser.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")

    def handle(self, *args, slugs=None, output=None, **options):
        try:
            text = scenarios_export(slugs=slugs)
        except ScenarioNotFound as error:
            raise CommandError(error.message) from None
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
