from django.urls import path

from . import order_views, views

urlpatterns = [
    path("analytics/dashboard/summary", views.DashboardSummaryView.as_view(), name="api-analytics-summary"),
    path("analytics/users", views.UserAnalyticsView.as_view(), name="api-analytics-users"),
    path("analytics/projects", views.ProjectAnalyticsView.as_view(), name="api-analytics-projects"),
    path("analytics/revenue", views.RevenueAnalyticsView.as_view(), name="api-analytics-revenue"),
    path("analytics/top-freelancers", views.TopFreelancersView.as_view(), name="api-analytics-top-freelancers"),
    path("analytics/top-clients", views.TopClientsView.as_view(), name="api-analytics-top-clients"),
    path("analytics/registrations", views.RegistrationsView.as_view(), name="api-analytics-registrations"),
    path("analytics/locations", views.LocationsView.as_view(), name="api-analytics-locations"),
    path("analytics/completion-rates", views.CompletionRatesView.as_view(), name="api-analytics-completion-rates"),
    path("analytics/categories", views.CategoriesView.as_view(), name="api-analytics-categories"),
    path("analytics/revenue-trends", views.RevenueTrendsView.as_view(), name="api-analytics-revenue-trends"),
    path("analytics/payment-methods", views.PaymentMethodsView.as_view(), name="api-analytics-payment-methods"),
    path("analytics/freelancer-success", views.FreelancerSuccessView.as_view(),
         name="api-analytics-freelancer-success"),
    path("analytics/health", views.HealthView.as_view(), name="api-analytics-health"),
    path("analytics/engagement", views.EngagementView.as_view(), name="api-analytics-engagement"),
    path("analytics/orders", order_views.OrderAnalyticsView.as_view(), name="api-analytics-orders"),
]
