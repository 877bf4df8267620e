"""Support pages, mounted at the site root."""

from django.urls import path

from . import views as support_views

app_name = "support"

urlpatterns = [
    path("support/", support_views.ticket_list, name="tickets"),
    path("support/<int:ticket_id>/", support_views.ticket_detail, name="ticket"),
    path("support/<int:ticket_id>/resolve/", support_views.ticket_resolve, name="ticket_resolve"),
]
