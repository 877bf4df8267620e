"""What the marketplace tells the apps below it about its projects (connected in `MarketplaceConfig.ready`)."""

from collections.abc import Iterable

from messaging import subjects

from .models import Project


def project_belongs_to(project_id: int, client_id: int) -> bool:
    """A chat may be about a project only between its own client and a freelancer."""
    return Project.objects.filter(pk=project_id, client_id=client_id).exists()


def project_titles(ids: Iterable[int]) -> dict[int, str]:
    return dict(Project.objects.filter(pk__in=list(ids)).values_list("pk", "title"))


def connect() -> None:
    subjects.register_subject(subjects.PROJECT,
                              subjects.SubjectKind(belongs_to=project_belongs_to, titles=project_titles))
