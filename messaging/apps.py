from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (turns account security changes into notifications)
