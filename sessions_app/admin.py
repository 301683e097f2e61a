from django.contrib import admin

from sessions_app.models import ChatMessage, UserSession


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ["seq", "role", "content", "client_id", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "scenario", "status", "outcome", "score", "passed", "started_at"]
    list_filter = ["status", "outcome", "passed", "is_preview", "scenario__difficulty"]
    search_fields = ["user__email", "scenario__slug", "scenario__title"]
    list_select_related = ["user", "scenario"]
    raw_id_fields = ["user", "scenario"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "id",
        "engine",
        "engine_state",
        "scenario_snapshot",
        "started_at",
        "last_activity_at",
        "ended_at",
        "scored_at",
        "score",
        "passed",
        "xp_awarded",
        "feedback",
        "tokens_used",
        "created_at",
        "updated_at",
    ]
    inlines = [ChatMessageInline]
