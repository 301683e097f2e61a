from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import TeamMembership, TeamRole, User
from accounts.services import team_create, trainer_role_grant

DEMO_ACCOUNTS = [
    {
        "email": "demo@example.com",
        "password": "dojo-demo-pass",
        "first_name": "Demo",
        "last_name": "Trainee",
        "is_staff": False,
    },
    {
        "email": "trainer@example.com",
        "password": "dojo-trainer-pass",
        "first_name": "Team",
        "last_name": "Trainer",
        "is_staff": False,
    },
    {
        "email": "author@example.com",
        "password": "dojo-author-pass",
        "first_name": "Content",
        "last_name": "Author",
        "is_staff": True,
    },
]


class Command(BaseCommand):
    help = "Create the demo trainee and content author (DEBUG only; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow outside DEBUG.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo accounts are only created when DJANGO_DEBUG is on.")
        for spec in DEMO_ACCOUNTS:
            spec = dict(spec)
            password = spec.pop("password")
            user, created = User.objects.get_or_create(email=spec["email"], defaults=spec)
            if created or not user.check_password(password):
                user.set_password(password)
                user.is_active = True
                user.is_staff = spec["is_staff"]
                user.is_superuser = spec["is_staff"]
                user.save()
            self.stdout.write(f"{'created' if created else 'ready'}: {user.email}")
        self._demo_team()

    def _demo_team(self):
        """The demo trainer trains a team the demo trainee belongs to."""
        trainer = User.objects.get(email="trainer@example.com")
        trainer_role_grant(user=trainer)
        if TeamMembership.objects.filter(user=trainer, role=TeamRole.TRAINER).exists():
            return
        team = team_create(trainer=trainer, name="Demo team")
        TeamMembership.objects.get_or_create(
            team=team, user=User.objects.get(email="demo@example.com")
        )
        self.stdout.write(f"created: team “{team.name}”")
