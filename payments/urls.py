"""Payment pages, mounted at the site root: /payments/, receipts, the freelancer's payouts and billing."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/billing/", views.billing_page, name="settings_billing"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.csv", views.payment_export_csv, name="payment_export_csv"),
    path("payments/payouts/", views.payouts_page, name="payments_payouts"),
    path("payments/<int:pk>/receipt/", views.payment_receipt, name="payment_receipt"),
    path("payments/<int:pk>/receipt.pdf", views.payment_receipt_pdf, name="payment_receipt_pdf"),
]
