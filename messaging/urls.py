"""Messaging pages, mounted at the site root."""

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/new/", views.chat_start, name="chat_start"),
    path("messages/<int:chat_id>/", views.chat_detail, name="chat"),
    path("messages/<int:chat_id>/archive/", views.chat_archive, name="chat_archive"),
    path("messages/<int:chat_id>/unarchive/", views.chat_unarchive, name="chat_unarchive"),
    path("messages/<int:chat_id>/files/<int:message_id>/", views.message_file, name="message_file"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
