from django.urls import path

from performance.api.views import PerformanceSummaryView

urlpatterns = [
    path("performance/summary/", PerformanceSummaryView.as_view(), name="api-performance-summary"),
]
