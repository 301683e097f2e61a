from django.contrib import admin

from gamification.models import Achievement, UserAchievement, XPTransaction


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
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
