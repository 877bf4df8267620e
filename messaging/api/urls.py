from django.urls import path

from . import views

urlpatterns = [
    path("chats", views.ChatListView.as_view(), name="api-chats"),
    path("chats/stats", views.ChatStatsView.as_view(), name="api-chat-stats"),
    path("chats/blocks", views.BlockView.as_view(), name="api-chat-blocks"),
    path("chats/<int:pk>", views.ChatDetailView.as_view(), name="api-chat-detail"),
    path("chats/<int:pk>/archive", views.ChatArchiveView.as_view(), name="api-chat-archive"),
    path("chats/<int:pk>/unarchive", views.ChatUnarchiveView.as_view(), name="api-chat-unarchive"),
    path("chats/<int:pk>/messages", views.MessageListView.as_view(), name="api-chat-messages"),
    path("chats/<int:pk>/messages/<int:message_id>/attachment", views.MessageAttachmentView.as_view(),
         name="api-chat-message-attachment"),
    path("chats/<int:pk>/read", views.ChatReadView.as_view(), name="api-chat-read"),
    path("notifications", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/unread-count", views.UnreadCountView.as_view(), name="api-notifications-unread"),
    path("notifications/read-all", views.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path("notifications/preferences", views.PreferencesView.as_view(), name="api-notification-preferences"),
    path("devices", views.DeviceListView.as_view(), name="api-devices"),
    path("devices/<int:pk>", views.DeviceDetailView.as_view(), name="api-device-detail"),
    path("ws/ticket", views.WsTicketView.as_view(), name="api-ws-ticket"),
    path("ws/status", views.WsStatusView.as_view(), name="api-ws-status"),
    path("ws/online-users", views.OnlineUsersView.as_view(), name="api-ws-online-users"),
    path("ws/user/<int:pk>/online", views.UserOnlineView.as_view(), name="api-ws-user-online"),
    path("notifications/<int:pk>/read", views.NotificationReadView.as_view(), name="api-notification-read"),
]
