from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ..orders import order_analytics
from .views import DAYS, ERRORS, StaffAnalyticsView


@extend_schema(tags=["analytics"], parameters=[DAYS], responses={200: OpenApiTypes.OBJECT, **ERRORS},
               summary="Orders of services",
               description="Orders by status, the money paid for orders and the platform's fees on them during the "
                           "period, and the services that sold best (by money paid).")
class OrderAnalyticsView(StaffAnalyticsView):
    def get(self, request: Request) -> Response:
        return Response(order_analytics(**self.query(request)))
