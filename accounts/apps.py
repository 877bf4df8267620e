from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import receivers, schema  # noqa: F401  (audit receivers; OpenAPI description of bearer tokens)
