"""Payment pages, mounted at the site root: /payments/, receipts, the freelancer's payouts and billing."""

from django.urls import path, register_converter

from . import views, views_cards


class MonthConverter:
    """A calendar month in an address, `2026-11`; the view refuses months that do not exist."""

    regex = "[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MonthConverter, "yyyy_mm")

urlpatterns = [
    path("settings/billing/", views.billing_page, name="settings_billing"),
    path("settings/billing/cards/", views_cards.card_add, name="saved_card_add"),
    path("settings/billing/cards/confirm/", views_cards.card_confirm, name="saved_card_confirm"),
    path("settings/billing/cards/<int:pk>/remove/", views_cards.card_remove, name="saved_card_remove"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.csv", views.payment_export_csv, name="payment_export_csv"),
    path("payments/statements/", views.statement_list, name="payment_statements"),
    path("payments/statements/<yyyy_mm:month>/", views.statement_page, name="payment_statement"),
    path("payments/statements/<yyyy_mm:month>.pdf", views.statement_pdf_download, name="payment_statement_pdf"),
    path("payments/payouts/", views.payouts_page, name="payments_payouts"),
    path("payments/<int:pk>/receipt/", views.payment_receipt, name="payment_receipt"),
    path("payments/<int:pk>/receipt.pdf", views.payment_receipt_pdf, name="payment_receipt_pdf"),
]
