import pytest


@pytest.fixture(autouse=True)
def _stripe_at_the_emulator(request: pytest.FixtureRequest, settings: object) -> None:
    """Tests that use the Stripe emulator talk to it through the settings the services read."""
    if "stripe_emulator" in request.fixturenames:
        emulator = request.getfixturevalue("stripe_emulator")
        settings.STRIPE_API_BASE = emulator.url  # type: ignore[attr-defined]
