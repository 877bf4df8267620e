from django.urls import path

from . import order_views, views

urlpatterns = [
    path("analytics/dashboard/summary", views.DashboardSummaryView.as_view(), name="api-analytics-summary"),
    path("analytics/users", views.UserAnalyticsView.as_view(), name="api-analytics-users"),
    path("analytics/projects", views.ProjectAnalyticsView.as_view(), name="api-analytics-projects"),
    path("analytics/revenue", views.RevenueAnalyticsView.as_view(), name="api-analytics-revenue"),
    path("analytics/top-freelancers", views.TopFreelancersView.as_view(), name="api-analytics-top-freelancers"),
    path("analytics/top-clients", views.TopClientsView.as_view(), name="api-analytics-top-clients"),
    path("analytics/orders", order_views.OrderAnalyticsView.as_view(), name="api-analytics-orders"),
]
