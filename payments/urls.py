"""Payment pages, mounted at the site root."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/billing/", views.billing_page, name="settings_billing"),
]
