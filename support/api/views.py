"""Support tickets over REST. Members see their own tickets, staff everyone's; others get 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.requests import signed_in_user

from .. import services as support
from ..models import SupportTicket, TicketCategory, TicketMessage, TicketPriority, TicketStatus

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
          409: ErrorSerializer}


class TicketOpenInput(serializers.Serializer):
    subject = serializers.CharField(max_length=support.SUBJECT_MAX_LENGTH)
    category = serializers.ChoiceField(choices=TicketCategory.choices, default=TicketCategory.OTHER)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    message = serializers.CharField(max_length=support.BODY_MAX_LENGTH, help_text="Your question")


class TicketReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=support.BODY_MAX_LENGTH)


class TicketPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class TicketMessageSerializer(serializers.ModelSerializer):
    author_id = serializers.IntegerField(read_only=True, allow_null=True)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = ["id", "author_id", "author_name", "body", "is_staff_reply", "created_at"]

    def get_author_name(self, obj: TicketMessage) -> str:
        if obj.is_staff_reply:
            first = obj.author.first_name if obj.author is not None else ""
            return f"{first} (MegiLance support)" if first else "MegiLance support"
        return obj.author.get_full_name() if obj.author is not None else "A former member"


class TicketSerializer(serializers.ModelSerializer):
    user = TicketPersonSerializer(read_only=True)
    assigned_to_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The staff member on it")
    message_count = serializers.IntegerField(read_only=True, default=0)
    last_message_at = serializers.DateTimeField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = SupportTicket
        fields = ["id", "subject", "category", "priority", "status", "user", "assigned_to_id", "created_at",
                  "updated_at", "first_response_at", "resolved_at", "message_count", "last_message_at"]


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]

    @extend_schema_field(TicketMessageSerializer(many=True))
    def get_messages(self, obj: SupportTicket) -> list[dict]:
        # many=True makes a ListSerializer, whose data is a list: the stubs type it as the single serializer's.
        return TicketMessageSerializer(support.ticket_messages(obj), many=True).data  # type: ignore[return-value]


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _ticket(request: Request, pk: int) -> SupportTicket:
    ticket = support.ticket_get(user=signed_in_user(request), ticket_id=pk)
    if ticket is None:
        raise NotFound()
    return ticket


def _detail(request: Request, pk: int) -> dict:
    return TicketDetailSerializer(_ticket(request, pk)).data


class TicketListView(generics.ListAPIView):
    """Your tickets, the most recently active first (staff: everyone's). `?status=` filters."""

    serializer_class = TicketSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SupportTicket.objects.none()
        status = self.request.query_params.get("status")
        return support.tickets_for(signed_in_user(self.request),
                                   status=status if status in TicketStatus.values else None)

    @extend_schema(tags=["support"], parameters=[OpenApiParameter("status", str, enum=TicketStatus.values)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["support"], request=TicketOpenInput, responses={201: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        ticket = support.ticket_open(user=signed_in_user(request), **_valid(TicketOpenInput, request))
        return Response(_detail(request, ticket.pk), status=201)


@extend_schema(tags=["support"], responses={200: TicketDetailSerializer, **ERRORS})
class TicketDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))


@extend_schema(tags=["support"], request=TicketReplyInput, responses={201: TicketMessageSerializer, **ERRORS})
class TicketMessagesView(APIView):
    """A reply on the ticket. Staff replies tell the member; the member's reply reopens an answered ticket."""

    def post(self, request: Request, pk: int) -> Response:
        ticket = _ticket(request, pk)
        reply = support.ticket_reply(ticket=ticket, author=signed_in_user(request), **_valid(TicketReplyInput, request))
        return Response(TicketMessageSerializer(reply).data, status=201)


@extend_schema(tags=["support"], request=None, responses={200: TicketDetailSerializer, **ERRORS})
class TicketResolveView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        support.ticket_resolve(ticket=_ticket(request, pk), by=signed_in_user(request))
        return Response(_detail(request, pk))
