"""What the marketplace tells the apps below it about its projects, and what it does when a review goes (connected
in `MarketplaceConfig.ready`)."""

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import post_delete

from messaging import subjects

from .models import Project, Review
from .ratings import ratings_refresh


def project_belongs_to(project_id: int, client_id: int) -> bool:
    """A chat may be about a project only between its own client and a freelancer."""
    return Project.objects.filter(pk=project_id, client_id=client_id).exists()


def project_titles(ids: Iterable[int]) -> dict[int, str]:
    return dict(Project.objects.filter(pk__in=list(ids)).values_list("pk", "title"))


def review_deleted(sender: type[Review], instance: Review, **kwargs: Any) -> None:
    """A review removed (by staff) no longer counts into the rating it was in."""
    ratings_refresh([instance.reviewee_id])


def connect() -> None:
    post_delete.connect(review_deleted, sender=Review, dispatch_uid="marketplace.review_deleted")
    subjects.register_subject(subjects.PROJECT,
                              subjects.SubjectKind(belongs_to=project_belongs_to, titles=project_titles))
