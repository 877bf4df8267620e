"""OpenAPI description of the bearer JWT authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <access_token>` from /api/auth/login"}
