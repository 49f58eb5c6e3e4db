"""Fixtures of the submission-rule tests: messages in English, a creator and an organizer."""
import pytest

from tests.people import Role


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English (the default UI language is Chinese)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR)


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)
