from django.contrib import admin

from performance.models import PerformanceMetric


@admin.register(PerformanceMetric)
class PerformanceMetricAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "criterion", "score", "weight", "created_at"]
    list_filter = ["criterion"]
    search_fields = ["user__email", "session__id"]
    list_select_related = ["session", "user"]
    raw_id_fields = ["session", "user"]
    readonly_fields = ["created_at"]
