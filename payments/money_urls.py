"""Money pages, mounted at the site root: /payments/, receipts and the freelancer's payouts."""

from django.urls import path

from . import money_views

urlpatterns = [
    path("payments/", money_views.payment_list, name="payment_list"),
    path("payments/payouts/", money_views.payouts_page, name="payments_payouts"),
    path("payments/<int:pk>/receipt/", money_views.payment_receipt, name="payment_receipt"),
    path("payments/<int:pk>/receipt.pdf", money_views.payment_receipt_pdf, name="payment_receipt_pdf"),
]
