from django.urls import path

from . import views

urlpatterns = [
    path("dev/inbox/", views.dev_inbox, name="dev-inbox"),
    path("dev/inbox/<str:message_id>/", views.dev_inbox_message, name="dev-inbox-message"),
]
