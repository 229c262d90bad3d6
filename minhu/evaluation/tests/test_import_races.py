"""Import input that used to be a server error: impossible dates, two imports of one file."""

import pytest

from minhu.core.errors import Conflict
from minhu.evaluation import importer
from minhu.evaluation.models import ImportedWorkOrder

from .test_ledgers_import import _csv, _row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31 23:00"])
def test_a_date_before_1900_is_a_row_error(org, value):
    batch, result = importer.import_file(
        _csv([_row("Y-1", 受理时间=value)]), "y.csv", actor=org.dispatcher
    )
    assert batch is None
    assert [(e.row, e.column) for e in result.errors] == [(2, "受理时间")]
    assert "1900" in result.errors[0].message
    assert ImportedWorkOrder.objects.count() == 0


def test_a_date_before_1900_over_the_api_is_400(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(org.dispatcher)
    f = SimpleUploadedFile("y.csv", _csv([_row("Y-2", 办结时间="0001-01-01")]), "text/csv")
    r = client.post("/api/v1/evaluation/imports/", {"file": f})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "import_rejected"


def test_the_same_file_imported_twice_at_once_is_a_conflict(org):
    """Two imports read the file before either writes (what two people uploading it at the same
    moment do): the second write meets the first's numbers and is refused whole."""
    content = _csv([_row("R-1"), _row("R-2")])
    first = importer.parse(content, "r.csv")
    second = importer.parse(content, "r.csv")
    assert first.errors == [] and second.errors == []
    importer._write(first, content, "r.csv", org.dispatcher)
    with pytest.raises(Conflict) as exc:
        importer._write(second, content, "r.csv", org.dispatcher)
    assert exc.value.code == "already_imported"
    assert ImportedWorkOrder.objects.count() == 2
