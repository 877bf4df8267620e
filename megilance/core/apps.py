from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "megilance.core"
    label = "core"
    verbose_name = "Platform"
