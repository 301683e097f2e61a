from django.db import migrations


def load(apps, schema_editor):
    from gamification.catalog import DEFAULT_ACHIEVEMENTS

    Achievement = apps.get_model("gamification", "Achievement")
    for order, spec in enumerate(DEFAULT_ACHIEVEMENTS, start=1):
        defaults = {
            "rule": spec["rule"],
            "name": spec["name"],
            "description": spec["description"],
            "icon": spec["icon"],
            "bonus_xp": spec["bonus_xp"],
            "sort_order": order * 10,
        }
        Achievement.objects.get_or_create(key=spec["key"], defaults=defaults)


def unload(apps, schema_editor):
    from gamification.catalog import DEFAULT_ACHIEVEMENTS

    Achievement = apps.get_model("gamification", "Achievement")
    Achievement.objects.filter(
        key__in=[spec["key"] for spec in DEFAULT_ACHIEVEMENTS], holders__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("gamification", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
