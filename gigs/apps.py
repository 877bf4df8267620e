from django.apps import AppConfig


class GigsConfig(AppConfig):
    """Services (gigs) freelancers sell in packages, and the orders clients place for them."""

    name = "gigs"
    verbose_name = "Services and orders"
