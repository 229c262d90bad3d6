import pytest


@pytest.fixture(autouse=True)
def _evaluation_default_lists(request):
    """The default lists are seeded by a data migration, which a transactional test elsewhere
    (flush) may have emptied: recreate what is missing before each database test here."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "org", "live_server"}:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from minhu.evaluation.defaults import ensure_default_lists

    ensure_default_lists()
