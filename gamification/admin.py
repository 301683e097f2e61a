from django import forms
from django.contrib import admin

from gamification.achievements import RULES
from gamification.models import Achievement, UserAchievement, XPTransaction


class AchievementForm(forms.ModelForm):
    """Authors pick the rule from the registered ones: a typo would never unlock."""

    rule = forms.ChoiceField(choices=[])

    class Meta:
        model = Achievement
        fields = [
            "key",
            "rule",
            "name",
            "description",
            "icon",
            "bonus_xp",
            "sort_order",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(key, key.replace("_", " ")) for key in sorted(RULES)]
        self.fields["rule"].help_text = "The code that decides when it unlocks."


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    form = AchievementForm
    list_display = ["icon", "name", "key", "rule", "bonus_xp", "sort_order", "is_active"]
    list_display_links = ["name"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "key", "description"]
    list_filter = ["is_active"]


@admin.register(UserAchievement)
class UserAchievementAdmin(admin.ModelAdmin):
    list_display = ["user", "achievement", "unlocked_at"]
    list_select_related = ["user", "achievement"]
    raw_id_fields = ["user", "session"]
    search_fields = ["user__email", "achievement__name"]


@admin.register(XPTransaction)
class XPTransactionAdmin(admin.ModelAdmin):
    list_display = ["user", "amount", "reason", "session", "achievement", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["user", "achievement"]
    raw_id_fields = ["user", "session"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
