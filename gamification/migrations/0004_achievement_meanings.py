"""Two default achievements now mean what their names say (see gamification/achievements.py).
Their descriptions follow, unless an author has already rewritten them."""

from django.db import migrations

CHANGES = {
    "hostile-resolved": (
        "Resolve a hostile customer (patience 1–2) without an escalation.",
        "Bring an impatient customer who turned hostile to a confirmed fix, and pass.",
    ),
    "under-time": (
        "Pass a session in less than the scenario's estimated time.",
        "Get the customer's confirmed fix in under half the estimated time, and pass.",
    ),
}


def forwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    for key, (old, new) in CHANGES.items():
        Achievement.objects.filter(key=key, description=old).update(description=new)


def backwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    for key, (old, new) in CHANGES.items():
        Achievement.objects.filter(key=key, description=new).update(description=old)


class Migration(migrations.Migration):
    dependencies = [("gamification", "0003_xp_user_week_idx")]
    operations = [migrations.RunPython(forwards, backwards)]
