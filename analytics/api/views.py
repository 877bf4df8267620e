"""The analytics API, for staff only: each view validates its query, calls one selector and answers in JSON,
or as CSV with `?format=csv` (the lists and time series)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer

from .. import exports, selectors
from ..replica import ReplicaReadsMixin
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
DAYS = OpenApiParameter("days", int, description=f"The last N days, today included (1 to {selectors.MAX_DAYS})",
                        default=selectors.DEFAULT_DAYS)
INTERVAL = OpenApiParameter("interval", str, enum=list(selectors.INTERVALS), default="day",
                            description="Size of the time series' buckets")
FORMAT = OpenApiParameter("format", str, enum=["json", "csv"], default="json",
                          description="`csv` downloads the table as a CSV file with a header row")


class CSVRenderer(renderers.BaseRenderer):
    """Renders `{"header": [...], "rows": [[...], ...]}` as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict | None = None) -> bytes:
        if not isinstance(data, dict) or "header" not in data:
            return b""
        return exports.csv_text(data["header"], data["rows"]).encode(self.charset)


class StaffAnalyticsView(ReplicaReadsMixin, APIView):
    """Staff only; the figures are read from the analytics replica when there is one."""

    permission_classes = [IsAdminUser]
    query_serializer: type = s.SummaryQuery

    def query(self, request: Request) -> dict[str, Any]:
        serializer = self.query_serializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors are JSON whatever format was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class TableView(StaffAnalyticsView):
    """A list or time series that also downloads as CSV."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    table: str = ""

    def get(self, request: Request) -> Response:
        data = exports.table_data(self.table, self.query(request))
        if request.accepted_renderer.format == "csv":
            header, rows = exports.TABLES[self.table](data)
            disposition = f'attachment; filename="{exports.filename(self.table, data)}"'
            return Response({"header": header, "rows": rows}, headers={"Content-Disposition": disposition})
        return Response(data)


def _table_responses(serializer: type) -> dict:
    return {
        (200, "application/json"): serializer,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The table as CSV, with a header row"),
        **ERRORS,
    }


@extend_schema(tags=["analytics"], parameters=[DAYS], responses={200: s.AnalyticsSummarySerializer, **ERRORS},
               summary="Dashboard summary",
               description="Users, projects, revenue, platform health and engagement. Money is in `currency` "
                           "(decimal strings); counts of the period cover the last `days` days.")
class DashboardSummaryView(StaffAnalyticsView):
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard_summary(**self.query(request)))


@extend_schema(tags=["analytics"], parameters=[DAYS, INTERVAL, FORMAT], responses=_table_responses(
    s.AnalyticsUsersSerializer), summary="User analytics",
    description="Sign-ups per bucket by type, active users, verification and 2FA adoption, countries. "
                "CSV: the time series.")
class UserAnalyticsView(TableView):
    query_serializer = s.PeriodQuery
    table = "users"


@extend_schema(tags=["analytics"], parameters=[DAYS, INTERVAL, FORMAT], responses=_table_responses(
    s.AnalyticsProjectsSerializer), summary="Project analytics",
    description="Projects posted and proposals sent per bucket, status funnels, popular categories, average "
                "budgets, completion rate. CSV: the time series.")
class ProjectAnalyticsView(TableView):
    query_serializer = s.PeriodQuery
    table = "projects"


@extend_schema(tags=["analytics"], parameters=[DAYS, INTERVAL, FORMAT], responses=_table_responses(
    s.AnalyticsRevenueSerializer), summary="Revenue analytics",
    description="Fundings, platform fees and refunds per bucket, and the period's totals per currency. "
                "CSV: the time series.")
class RevenueAnalyticsView(TableView):
    query_serializer = s.PeriodQuery
    table = "revenue"


@extend_schema(tags=["analytics"], parameters=[
    DAYS, FORMAT, OpenApiParameter("by", str, enum=list(selectors.FREELANCER_ORDERINGS), default="earnings")],
    responses=_table_responses(s.AnalyticsTopFreelancersSerializer), summary="Top freelancers",
    description=f"The {selectors.TOP_LIMIT} best freelancers of the period by earnings (net of fees), rating or "
                "completed contracts.")
class TopFreelancersView(TableView):
    query_serializer = s.TopFreelancersQuery
    table = "top-freelancers"


@extend_schema(tags=["analytics"], parameters=[
    DAYS, FORMAT, OpenApiParameter("by", str, enum=list(selectors.CLIENT_ORDERINGS), default="spend")],
    responses=_table_responses(s.AnalyticsTopClientsSerializer), summary="Top clients",
    description=f"The {selectors.TOP_LIMIT} clients who spent most during the period (fundings less refunds), or "
                "posted most projects.")
class TopClientsView(TableView):
    query_serializer = s.TopClientsQuery
    table = "top-clients"
