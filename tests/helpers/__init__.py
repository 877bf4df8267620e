"""Helpers shared by the tests of every app: page checks, the Stripe emulator's fixtures and money steps.

Each app's own data builders live beside its tests (`<app>/tests/factories.py`); what several apps' tests
need lives here, so no test imports another app's test module.
"""
