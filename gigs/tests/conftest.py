import pytest


@pytest.fixture(autouse=True)
def _categories(db: None) -> None:
    """The default categories (a migration adds them; a test that flushed the database removed them)."""
    from marketplace.categories import categories_ensure_defaults

    categories_ensure_defaults()
