from django.urls import path

from . import orders as views

urlpatterns = [
    path("orders", views.OrderListView.as_view(), name="api-orders"),
    path("orders/<int:pk>", views.OrderDetailView.as_view(), name="api-order"),
    path("orders/<int:pk>/pay", views.OrderPayView.as_view(), name="api-order-pay"),
    path("orders/<int:pk>/deliver", views.OrderDeliverView.as_view(), name="api-order-deliver"),
    path("orders/<int:pk>/request-revision", views.OrderRequestRevisionView.as_view(),
         name="api-order-request-revision"),
    path("orders/<int:pk>/accept", views.OrderAcceptView.as_view(), name="api-order-accept"),
    path("orders/<int:pk>/cancel", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<int:pk>/dispute", views.OrderDisputeView.as_view(), name="api-order-dispute"),
    path("orders/<int:pk>/dispute/withdraw", views.OrderWithdrawDisputeView.as_view(),
         name="api-order-dispute-withdraw"),
    path("orders/<int:pk>/resolve", views.OrderResolveView.as_view(), name="api-order-resolve"),
    path("orders/<int:pk>/messages", views.OrderMessageView.as_view(), name="api-order-messages"),
]
