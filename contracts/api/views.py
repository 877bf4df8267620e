from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer

from .. import selectors, services
from .serializers import ContractSerializer

ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class ContractListView(generics.ListAPIView):
    """The caller's contracts, as client or freelancer."""

    serializer_class = ContractSerializer

    def get_queryset(self):
        contracts = selectors.contracts_for(self.request.user)
        status = self.request.query_params.get("status")
        if status in ("active", "completed", "disputed", "cancelled"):
            contracts = contracts.filter(status=status)
        return contracts.order_by("-created_at", "-id")

    @extend_schema(tags=["contracts"], parameters=[OpenApiParameter("status", str)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["contracts"], responses={200: ContractSerializer, **ERRORS})
class ContractDetailView(generics.RetrieveAPIView):
    serializer_class = ContractSerializer

    def get_queryset(self):
        return selectors.contracts_for(self.request.user)


@extend_schema(tags=["contracts"], request=None, responses={200: ContractSerializer, **ERRORS})
class ContractCompleteView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        contract = selectors.contracts_for(request.user).filter(pk=pk).first()
        if contract is None:
            raise NotFound()
        services.contract_complete(contract=contract, by=request.user)
        return Response(ContractSerializer(selectors.contracts_for(request.user).get(pk=pk)).data)
