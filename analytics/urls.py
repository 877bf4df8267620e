"""Staff pages, mounted at the site root."""

from django.urls import path

from . import views

urlpatterns = [
    path("staff/dashboard/", views.staff_dashboard, name="staff_dashboard"),
    path("staff/dashboard/export/<slug:table>.csv", views.staff_dashboard_export, name="staff_dashboard_export"),
]
