from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """What `make run` and the test suite need beside the product: the local Stripe emulator, the `serve` and
    `seed_demo` commands, the webhook set-up against the emulator and the dev inbox. Production does not install it."""

    name = "devtools"
    verbose_name = "Development tools"
