from django.apps import AppConfig


class GigsConfig(AppConfig):
    """Services (gigs) freelancers sell in packages, and the orders clients place for them."""

    name = "gigs"
    verbose_name = "Services and orders"

    def ready(self) -> None:
        # Orders register themselves as a kind of escrow holder (what Stripe did for one reaches them).
        from . import order_reviews, orders  # noqa: F401  (reviews of orders through POST /api/reviews)
