from django.urls import path

from . import methods, views

urlpatterns = [
    path("payments", views.PaymentListView.as_view(), name="api-payments"),
    path("payments/subscription", views.SubscriptionView.as_view(), name="api-payments-subscription"),
    path("payments/summary", views.PaymentSummaryView.as_view(), name="api-payments-summary"),
    path("payments/connect/onboard", views.ConnectOnboardView.as_view(), name="api-connect-onboard"),
    path("payments/connect/status", views.ConnectStatusView.as_view(), name="api-connect-status"),
    path("payments/methods", methods.PaymentMethodListView.as_view(), name="api-payment-methods"),
    path("payments/methods/<int:pk>", methods.PaymentMethodDetailView.as_view(), name="api-payment-method-detail"),
    path("payments/<int:pk>", views.PaymentDetailView.as_view(), name="api-payment-detail"),
    path("payments/<int:pk>/receipt", views.PaymentReceiptView.as_view(), name="api-payment-receipt"),
]
