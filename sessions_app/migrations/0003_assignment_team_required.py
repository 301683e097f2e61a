"""Every assignment belongs to a team: a one-person assignment keeps the team it was set from.
The column stays nullable for the release before this one, which still inserts without it.

Existing one-person assignments get the team their trainer shares with the person (the
first such team); one with no such team left is dropped, since no trainer could see it."""

import django.db.models.deletion
from django.db import migrations, models


def fill_team(apps, schema_editor):
    Assignment = apps.get_model("sessions_app", "Assignment")
    TeamMembership = apps.get_model("accounts", "TeamMembership")
    for assignment in Assignment.objects.filter(team__isnull=True):
        trains = TeamMembership.objects.filter(user_id=assignment.created_by_id, role="trainer")
        shared = (
            TeamMembership.objects.filter(
                user_id=assignment.assignee_id, team_id__in=trains.values("team_id")
            )
            .order_by("team_id")
            .values_list("team_id", flat=True)
            .first()
        )
        if shared is None:
            assignment.delete()
        else:
            assignment.team_id = shared
            assignment.save(update_fields=["team"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_teams"),
        ("sessions_app", "0002_assignments"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="assignment", name="assignment_one_target"),
        migrations.RunPython(fill_team, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assignment",
            name="team",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="accounts.team",
            ),
        ),
    ]
