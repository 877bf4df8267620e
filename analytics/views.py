"""The staff dashboard page and its CSV downloads (session sign-in; the API answers apps with Bearer tokens)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from marketplace.models import ProjectStatus, ProposalStatus

from . import charts, exports, insights, selectors
from .api import serializers as api_serializers
from .replica import replica_reads

PERIOD_CHOICES = [(7, gettext_lazy("Last 7 days")), (30, gettext_lazy("Last 30 days")),
                  (90, gettext_lazy("Last 90 days")), (365, gettext_lazy("Last 365 days"))]
INTERVAL_CHOICES = [("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))]
EXPORT_QUERIES = {
    "users": api_serializers.PeriodQuery,
    "projects": api_serializers.PeriodQuery,
    "revenue": api_serializers.PeriodQuery,
    "top-freelancers": api_serializers.TopFreelancersQuery,
    "top-clients": api_serializers.TopClientsQuery,
}


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES, coerce=int, initial=30)
    interval = forms.ChoiceField(label=gettext_lazy("Group by"), choices=INTERVAL_CHOICES, initial="day")


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Visitors are sent to log in; signed-in people who are not staff find nothing here."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _money_text(amount: str | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f} {currency.upper()}"


def _number(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") + suffix
    return f"{value:,}{suffix}"


def _cards(summary: dict[str, Any], days: int) -> list[dict[str, Any]]:
    users, projects, revenue = summary["users"], summary["projects"], summary["revenue"]
    health, engagement = summary["health"], summary["engagement"]
    currency = revenue["currency"]
    return [
        {"title": gettext("Users"), "items": [
            (gettext("Total users"), _number(users["total_users"])),
            (gettext("Active in the last {days} days").format(days=days), _number(users["active_users"])),
            (gettext("Verified e-mail"), _number(users["verified_users"])),
            (gettext("Two-factor on"), _number(users["users_with_2fa"])),
            (gettext("Clients / freelancers"),
             f"{users['user_types']['client']:,} / {users['user_types']['freelancer']:,}"),
        ]},
        {"title": gettext("Projects"), "items": [
            (gettext("Posted in the last {days} days").format(days=days),
             _number(projects[f"projects_last_{days}_days"])),
            (gettext("Open now"), _number(projects["status_breakdown"]["open"])),
            (gettext("In progress"), _number(projects["status_breakdown"]["in_progress"])),
            (gettext("Average budget"), _money_text(projects["average_budget"], projects["currency"])),
            (gettext("Proposals per project"), _number(projects["average_proposals_per_project"])),
        ]},
        {"title": gettext("Revenue"), "items": [
            (gettext("Total revenue"), _money_text(revenue["total_revenue"], currency)),
            (gettext("Platform fees"), _money_text(revenue["platform_fees"], currency)),
            (gettext("Net revenue"), _money_text(revenue["net_revenue"], currency)),
            (gettext("Transactions"), _number(revenue["transaction_count"])),
            (gettext("Average transaction"), _money_text(revenue["average_transaction"], currency)),
        ]},
        {"title": gettext("Health"), "items": [
            (gettext("Open disputes"), _number(health["active_disputes"])),
            (gettext("Pending support tickets"), _number(health["pending_support_tickets"])),
            (gettext("Average first response"), _number(health["average_response_time_hours"], " h")),
            (gettext("Average rating"), _number(health["user_satisfaction_rating"], " / 5")),
            (gettext("Active in the last 24 hours"), _number(health["daily_active_users"])),
        ]},
        {"title": gettext("Engagement"), "items": [
            (gettext("Messages sent"), _number(engagement["messages_sent"])),
            (gettext("Proposals sent"), _number(engagement["proposals_submitted"])),
            (gettext("Projects posted"), _number(engagement["projects_posted"])),
            (gettext("Contracts started"), _number(engagement["contracts_created"])),
            (gettext("Reviews written"), _number(engagement["reviews_posted"])),
        ]},
    ]


def _axis_name(interval: str) -> str:
    return {"day": gettext("Day"), "week": gettext("Week starting"), "month": gettext("Month")}[interval]


def _per(interval: str) -> str:
    return {"day": gettext("per day"), "week": gettext("per week"), "month": gettext("per month")}[interval]


def _at_most(interval: str, count: int) -> str:
    most = {"day": gettext("at most %(count)s in one day"), "week": gettext("at most %(count)s in one week"),
            "month": gettext("at most %(count)s in one month")}[interval]
    return most % {"count": count}


def _time_charts(users: dict[str, Any], projects: dict[str, Any], revenue: dict[str, Any],
                 interval: str) -> dict[str, Any]:
    """The three charts over time, their titles, descriptions and axes in the active language."""
    days = [date.fromisoformat(row["period"]) for row in users["series"]]
    labels = [charts.bucket_label(day, interval) for day in days]
    tooltips = [charts.bucket_label(day, interval, long=True) for day in days]
    span = gettext("%(start)s to %(end)s") % {"start": tooltips[0], "end": tooltips[-1]} if tooltips else ""
    per = _per(interval)
    x_label = _axis_name(interval)
    series = users["series"]
    clients, freelancers = [row["clients"] for row in series], [row["freelancers"] for row in series]
    posted = [row["projects_posted"] for row in projects["series"]]
    proposals = [row["proposals_submitted"] for row in projects["series"]]
    money_rows = revenue["series"]
    fundings = [float(row["fundings"]) for row in money_rows]
    fees = [float(row["fees"]) for row in money_rows]
    refunds = [float(row["refunds"]) for row in money_rows]
    currency = revenue["currency"].upper()

    def money_value(value: float) -> str:
        return f"{value:,.2f} {currency}"

    return {
        "signups": charts.line_chart(
            chart_id="signups-chart", title=gettext("Sign-ups over time"),
            description=gettext("New accounts %(per)s, %(span)s: %(clients)s clients and %(freelancers)s freelancers "
                                "in all; %(most)s.")
            % {"per": per, "span": span, "clients": sum(clients), "freelancers": sum(freelancers),
               "most": _at_most(interval, max(clients + freelancers, default=0))},
            labels=labels, tooltips=tooltips, y_label=gettext("Sign-ups"), x_label=x_label,
            series=[charts.Series("clients", gettext("Clients"), clients, charts.PALETTE[0]),
                    charts.Series("freelancers", gettext("Freelancers"), freelancers, charts.PALETTE[1])]),
        "projects": charts.bar_chart(
            chart_id="projects-chart", title=gettext("Projects and proposals over time"),
            description=gettext("Projects posted and proposals sent %(per)s, %(span)s: %(projects)s projects and "
                                "%(proposals)s proposals in all.")
            % {"per": per, "span": span, "projects": sum(posted), "proposals": sum(proposals)},
            labels=labels, tooltips=tooltips, y_label=gettext("Count"), x_label=x_label,
            series=[charts.Series("projects", gettext("Projects posted"), posted, charts.PALETTE[0]),
                    charts.Series("proposals", gettext("Proposals sent"), proposals, charts.PALETTE[3])]),
        "revenue": charts.line_chart(
            chart_id="revenue-chart", title=gettext("Revenue over time"),
            description=gettext("Escrow fundings, platform fees and refunds %(per)s in %(currency)s, %(span)s: "
                                "%(funded)s funded, %(fees)s in fees and %(refunded)s refunded.")
            % {"per": per, "currency": currency, "span": span, "funded": money_value(sum(fundings)),
               "fees": money_value(sum(fees)), "refunded": money_value(sum(refunds))},
            labels=labels, tooltips=tooltips, y_label=gettext("Amount ({currency})").format(currency=currency),
            x_label=x_label,
            value_text=money_value, integer=False,
            series=[charts.Series("fundings", gettext("Fundings"), fundings, charts.PALETTE[0]),
                    charts.Series("fees", gettext("Platform fees"), fees, charts.PALETTE[2]),
                    charts.Series("refunds", gettext("Refunds"), refunds, charts.PALETTE[4])]),
    }


def _funnel_charts(projects: dict[str, Any], days: int) -> dict[str, Any]:
    """The two status funnels; status names come from the models' (translated) choices."""
    project_labels = dict(ProjectStatus.choices)
    proposal_labels = dict(ProposalStatus.choices)
    project_items = [(str(project_labels[row["status"]]), row["count"])
                     for row in projects["status_funnel"]["projects"]]
    proposal_items = [(str(proposal_labels[row["status"]]), row["count"])
                      for row in projects["status_funnel"]["proposals"]]

    def said(items: list[tuple[str, int]]) -> str:
        # Only the first letter is lowered, so that German nouns keep their capitals.
        return ", ".join(f"{label[:1].lower()}{label[1:]} {count}" for label, count in items)

    def projects_counted(count: int) -> str:
        return ngettext("%(count)s project", "%(count)s projects", count) % {"count": count}

    def proposals_counted(count: int) -> str:
        return ngettext("%(count)s proposal", "%(count)s proposals", count) % {"count": count}

    return {
        "project_funnel": charts.hbar_chart(
            chart_id="project-funnel-chart", title=gettext("Projects by status"),
            description=ngettext("Projects created in the last %(days)s day, by status now: %(counts)s.",
                                 "Projects created in the last %(days)s days, by status now: %(counts)s.", days)
            % {"days": days, "counts": said(project_items)},
            items=project_items, unit=projects_counted, x_label=gettext("Projects"), color=charts.PALETTE[0]),
        "proposal_funnel": charts.hbar_chart(
            chart_id="proposal-funnel-chart", title=gettext("Proposals by status"),
            description=ngettext("Proposals sent in the last %(days)s day, by status now: %(counts)s.",
                                 "Proposals sent in the last %(days)s days, by status now: %(counts)s.", days)
            % {"days": days, "counts": said(proposal_items)},
            items=proposal_items, unit=proposals_counted, x_label=gettext("Proposals"), color=charts.PALETTE[3]),
    }


@require_http_methods(["GET", "HEAD"])
@staff_only
@replica_reads
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET if request.GET else None)
    status = 200
    if form.is_bound and form.is_valid():
        days, interval = form.cleaned_data["days"], form.cleaned_data["interval"]
    else:
        days, interval = 30, "day"
        if form.is_bound:
            status = 400
    summary = selectors.dashboard_summary(days=days)
    users = selectors.user_analytics(days=days, interval=interval)
    projects = selectors.project_analytics(days=days, interval=interval)
    revenue = selectors.revenue_analytics(days=days, interval=interval)
    freelancers = selectors.top_freelancers(days=days)
    clients = selectors.top_clients(days=days)

    def export_url(table: str) -> str:
        query = {"days": days} if table.startswith("top-") else {"days": days, "interval": interval}
        return f"{reverse('staff_dashboard_export', kwargs={'table': table})}?{urlencode(query)}"

    context = {
        "form": form,
        "days": days,
        "interval": interval,
        "period_choices": PERIOD_CHOICES,
        "interval_choices": INTERVAL_CHOICES,
        "cards": _cards(summary, days),
        "users": users,
        "projects": projects,
        "revenue": revenue,
        "freelancers": freelancers["results"],
        "clients": clients["results"],
        "charts": {**_time_charts(users, projects, revenue, interval), **_funnel_charts(projects, days)},
        "series_rows": _series_rows(users, projects, revenue, interval),
        "exports": {table.replace("-", "_"): export_url(table) for table in exports.TABLES},
        "currency": revenue["currency"].upper(),
        "mismatches": selectors.reconciliation_mismatches(),
        "insights": _insights(days, interval),
    }
    return render(request, "analytics/dashboard.html", context, status=status)


def _insights(days: int, interval: str) -> dict[str, Any]:
    """The deeper figures the page shows under the summary (each as its `/api/analytics/<name>` answers)."""
    return {
        "health": insights.platform_health(days=days),
        "completion": insights.completion_rates(days=days),
        "success": insights.freelancer_success(days=days),
        "payment_methods": insights.payment_methods(days=days),
        "registrations": insights.registration_trends(days=days, interval=interval),
        "revenue": insights.revenue_trends(days=days, interval=interval),
        "engagement": insights.engagement(days=days, interval=interval),
    }


def _series_rows(users: dict[str, Any], projects: dict[str, Any], revenue: dict[str, Any],
                 interval: str) -> list[dict[str, Any]]:
    """The charts' numbers, one row per bucket, for the table under them."""
    return [
        {"label": charts.bucket_label(date.fromisoformat(user_row["period"]), interval, long=True),
         "period": user_row["period"], "users": user_row, "projects": project_row, "revenue": money_row}
        for user_row, project_row, money_row in zip(users["series"], projects["series"], revenue["series"],
                                                     strict=True)
    ]


@require_http_methods(["GET", "HEAD"])
@staff_only
@replica_reads
def staff_dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in exports.TABLES:
        raise Http404
    query = EXPORT_QUERIES[table](data=request.GET)
    if not query.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in query.errors.items())
        return HttpResponseBadRequest(gettext("Invalid input: %(problems)s") % {"problems": problems},
                                      content_type="text/plain; charset=utf-8")
    data = exports.table_data(table, dict(query.validated_data))
    return exports.csv_response(table, data)
