"""Hourly contracts over the API: time entries, weekly invoices, the client's dispute and approval, staff's
decision. Thin views over `contracts.hourly`."""

from datetime import date, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from core.fields import MoneyField
from core.money import from_minor

from .. import hourly, selectors
from ..models import Contract, Dispute, TimeEntry, WeeklyInvoice
from .views import ERRORS, _valid


class TimeEntrySerializer(serializers.ModelSerializer):
    contract_id = serializers.IntegerField(read_only=True)
    week_start = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = ["id", "contract_id", "date", "minutes", "memo", "week_start", "created_at", "updated_at"]

    def get_week_start(self, entry: TimeEntry) -> date:
        return hourly.week_start_of(entry.date)


class TimeEntryInput(serializers.Serializer):
    date = serializers.DateField()
    minutes = serializers.IntegerField(min_value=1, max_value=1440)
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InvoiceSerializer(serializers.ModelSerializer):
    contract_id = serializers.IntegerField(read_only=True)
    over_limit_minutes = serializers.IntegerField(read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    freelancer_receives = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyInvoice
        fields = ["id", "contract_id", "week_start", "minutes", "billable_minutes", "over_limit_minutes",
                  "weekly_limit_hours", "hourly_rate", "amount", "currency", "status", "review_ends_at",
                  "payment_error", "charged_amount", "platform_fee", "freelancer_receives", "paid_at",
                  "dispute_reason", "resolution", "freelancer_amount", "created_at"]

    def get_freelancer_receives(self, invoice: WeeklyInvoice) -> str:
        return str(from_minor(invoice.settlement().freelancer_receives))

    def get_platform_fee(self, invoice: WeeklyInvoice) -> str:
        return str(from_minor(invoice.settlement().fee))


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class InvoiceResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Dispute.Resolution.choices)
    freelancer_amount = MoneyField(required=False, allow_null=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


def _contract(request: Request, pk: int) -> Contract:
    contract = selectors.contracts_for(signed_in_user(request)).filter(pk=pk).first()
    if contract is None:
        raise NotFound()
    return contract


def _entry(request: Request, pk: int) -> TimeEntry:
    entry = TimeEntry.objects.select_related("contract").filter(
        pk=pk, contract__in=selectors.contracts_for(signed_in_user(request))).first()
    if entry is None:
        raise NotFound()
    return entry


def _invoice(request: Request, pk: int) -> WeeklyInvoice:
    invoice = WeeklyInvoice.objects.select_related("contract", "contract__client", "contract__freelancer").filter(
        pk=pk, contract__in=selectors.contracts_for(signed_in_user(request))).first()
    if invoice is None:
        raise NotFound()
    return invoice


class TimeEntryListView(generics.ListAPIView):
    serializer_class = TimeEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimeEntry.objects.none()
        entries = TimeEntry.objects.filter(contract=_contract(self.request, self.kwargs["pk"]))
        week = self.request.query_params.get("week")
        if week:
            day = serializers.DateField().run_validation(week)
            if day > hourly.today_utc():
                return entries.none()  # no time is logged in days to come
            start = hourly.week_start_of(day)
            entries = entries.filter(date__gte=start, date__lt=start + timedelta(days=7))
        return entries.order_by("date", "id")

    @extend_schema(tags=["hourly"], parameters=[OpenApiParameter("week", OpenApiTypes.DATE)],
                   description="The contract's time entries (both parties read them), oldest first. "
                               "`?week=YYYY-MM-DD` keeps the week of that day (Monday to Sunday, UTC).")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["hourly"], request=TimeEntryInput, responses={201: TimeEntrySerializer, **ERRORS},
                   description="The freelancer logs time: minutes 1-1440 on a day that has come, at most 24 hours "
                               "a day, in a week still open. 409 until the client has saved a card.")
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(TimeEntryInput, request)
        entry = hourly.time_entry_create(contract=_contract(request, self.kwargs["pk"]), by=signed_in_user(request),
                                         day=data["date"],
                                         minutes=data["minutes"], memo=data["memo"])
        return Response(TimeEntrySerializer(entry).data, status=201)


class TimeEntryDetailView(APIView):
    @extend_schema(tags=["hourly"], request=TimeEntryInput(partial=True), responses={200: TimeEntrySerializer,
                                                                                      **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(TimeEntryInput, request, partial=True)
        entry = hourly.time_entry_update(entry=_entry(request, pk), by=signed_in_user(request), data=data)
        return Response(TimeEntrySerializer(entry).data)

    @extend_schema(tags=["hourly"], request=None, responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        hourly.time_entry_delete(entry=_entry(request, pk), by=signed_in_user(request))
        return Response(status=204)


class InvoiceListView(generics.ListAPIView):
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WeeklyInvoice.objects.none()
        contract = _contract(self.request, self.kwargs["pk"])
        return WeeklyInvoice.objects.filter(contract=contract).order_by("-week_start", "-id")

    @extend_schema(tags=["hourly"], description="The contract's weekly invoices, newest week first.")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class InvoiceDetailView(APIView):
    @extend_schema(tags=["hourly"], responses={200: InvoiceSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(InvoiceSerializer(_invoice(request, pk)).data)


class InvoiceDisputeView(APIView):
    @extend_schema(tags=["hourly"], request=ReasonInput, responses={200: InvoiceSerializer, **ERRORS},
                   description="The client disputes a week during its review; nothing is charged until staff decide.")
    def post(self, request: Request, pk: int) -> Response:
        reason = _valid(ReasonInput, request)["reason"]
        hourly.invoice_dispute(invoice=_invoice(request, pk), by=signed_in_user(request), reason=reason)
        return Response(InvoiceSerializer(_invoice(request, pk)).data)


class InvoiceApproveView(APIView):
    @extend_schema(tags=["hourly"], request=None, responses={200: InvoiceSerializer, **ERRORS},
                   description="The client approves a week in review: their saved card is charged now. "
                               "A declined card answers 402 and the week waits for another card.")
    def post(self, request: Request, pk: int) -> Response:
        hourly.invoice_approve(invoice=_invoice(request, pk), by=signed_in_user(request))
        return Response(InvoiceSerializer(_invoice(request, pk)).data)


class InvoiceResolveView(APIView):
    @extend_schema(tags=["hourly"], request=InvoiceResolveInput, responses={200: InvoiceSerializer, **ERRORS},
                   description="Staff decide a disputed week: release (charged and paid in full), refund "
                               "(cancelled, nothing charged) or split (`freelancer_amount` charged and paid).")
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(InvoiceResolveInput, request)
        invoice = hourly.invoice_resolve(invoice=_invoice(request, pk), by=signed_in_user(request),
                                         resolution=data["resolution"],
                                         freelancer_amount=data.get("freelancer_amount"), note=data["note"])
        return Response(InvoiceSerializer(invoice).data)
