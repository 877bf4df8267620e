"""The analytics API, for staff only: each view validates its query, calls one selector and answers in JSON,
or as CSV with `?format=csv` (the lists and time series)."""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer

from .. import exports, insights, selectors
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
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
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


# --- the deeper figures -------------------------------------------------------------------------------


def _insight(name: str, selector: Any, serializer: type, summary: str, description: str,
             *, interval: bool = False) -> type[StaffAnalyticsView]:
    """A staff view answering `selector(**query)` as JSON, described in the schema by `serializer`."""

    class View(StaffAnalyticsView):
        query_serializer = s.PeriodQuery if interval else s.SummaryQuery

        def get(self, request: Request) -> Response:
            return Response(selector(**self.query(request)))

    View.__name__ = View.__qualname__ = name
    View.__doc__ = description
    return extend_schema(tags=["analytics"], parameters=[DAYS, INTERVAL] if interval else [DAYS],
                         responses={200: serializer, **ERRORS}, summary=summary, description=description)(View)


RegistrationsView = _insight(
    "RegistrationsView", insights.registration_trends, s.AnalyticsRegistrationsSerializer, "Registration trends",
    "Sign-ups per day, week or month by account type, running total, and the change on the period before.",
    interval=True)
LocationsView = _insight(
    "LocationsView", insights.location_distribution, s.AnalyticsLocationsSerializer, "Location distribution",
    "Members per country (all of them), with the period's sign-ups, clients and freelancers.")
CompletionRatesView = _insight(
    "CompletionRatesView", insights.completion_rates, s.AnalyticsCompletionRatesSerializer, "Completion rates",
    "How the projects, contracts and milestones started in the period stand now.")
CategoriesView = _insight(
    "CategoriesView", insights.popular_categories, s.AnalyticsCategoriesSerializer, "Popular categories",
    f"Categories by projects posted in the period (at most {insights.CATEGORY_LIMIT}), with proposals, completed "
    "projects and average budget.")
RevenueTrendsView = _insight(
    "RevenueTrendsView", insights.revenue_trends, s.AnalyticsRevenueTrendsSerializer, "Revenue trends",
    "Revenue per bucket (fundings and subscriptions less refunds), running total, change on the bucket before "
    "and on the period before.", interval=True)
PaymentMethodsView = _insight(
    "PaymentMethodsView", insights.payment_methods, s.AnalyticsPaymentMethodBreakdownSerializer, "Payment methods",
    "How clients paid in the period: payments, failures and amounts per way of paying.")
FreelancerSuccessView = _insight(
    "FreelancerSuccessView", insights.freelancer_success, s.AnalyticsFreelancerSuccessSerializer,
    "Freelancer success rates",
    "Contracts ended in the period and how many completed, proposals won, ratings received, and freelancers "
    "by success band.")
HealthView = _insight(
    "HealthView", insights.platform_health, s.AnalyticsHealthSerializer, "Platform health",
    "Disputes, refunds, failed payments, held payouts, support, reconciliation and suspended accounts.")
EngagementView = _insight(
    "EngagementView", insights.engagement, s.AnalyticsEngagementSerializer, "Engagement",
    "Messages, proposals, projects, contracts, reviews and sign-ins per bucket; active users and stickiness.",
    interval=True)
