import pytest


@pytest.fixture
def org_tx(transactional_db):
    """The test organisation for live-server (transactional) tests."""
    from minhu.orgs.testing import build_org

    return build_org()
