"""`/api/support/...`: support tickets."""

from django.urls import path

from . import views as support

urlpatterns = [
    path("support/tickets", support.TicketListView.as_view(), name="api-support-tickets"),
    path("support/tickets/<int:pk>", support.TicketDetailView.as_view(), name="api-support-ticket"),
    path("support/tickets/<int:pk>/messages", support.TicketMessagesView.as_view(), name="api-support-messages"),
    path("support/tickets/<int:pk>/resolve", support.TicketResolveView.as_view(), name="api-support-resolve"),
]
