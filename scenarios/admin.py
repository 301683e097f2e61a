from django.contrib import admin

from scenarios.models import Scenario


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "difficulty", "category", "is_active"]
    list_filter = ["difficulty", "category", "is_active"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]
