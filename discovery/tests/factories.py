"""Discovery's data made as people make it: profiles through accounts' service, projects through the marketplace's."""

from decimal import Decimal

from accounts.services import profile_update
from accounts.tests.factories import make_user


def make_freelancer(*, skills: list[str], rate: str | None = "50.00", headline: str = "", bio: str = "",
                    **fields: object):
    user = make_user("freelancer", **fields)
    data: dict = {"skills": skills, "headline": headline, "bio": bio}
    if rate is not None:
        data["hourly_rate"] = Decimal(rate)
    return profile_update(user=user, data=data)
