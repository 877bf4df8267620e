from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GigsConfig(AppConfig):
    """Services (gigs) freelancers sell in packages, and the orders clients place for them."""

    name = "gigs"
    verbose_name = _("Services and orders")

    def ready(self) -> None:
        # Orders register themselves as a kind of escrow holder (what Stripe did for one reaches them).
        from . import order_reviews, orders  # noqa: F401  (reviews of orders through POST /api/reviews)
