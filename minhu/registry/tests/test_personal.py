import pytest
from django.db import IntegrityError, transaction

from minhu.registry import personal
from minhu.registry.models import CadreLink, Household, Resident
from minhu.registry.testing import make_cadre_link, make_registry, make_resident, valid_id_number


def test_gb11643_check_digit():
    # The standard's own example number.
    assert personal.id_problem("11010519491231002X") is None
    assert personal.id_problem("110105194912310021") == "身份证号校验位不正确"
    assert personal.id_problem("11010519491331002X") == "身份证号中的出生日期无效"
    assert personal.id_problem("1101051949123100") == "身份证号应为18位（末位可为X）"
    assert personal.id_problem(" 11010519491231002x ") is None
    assert personal.birth_year_of("11010519491231002X") == 1949
    assert personal.gender_of("11010519491231002X") == "f"


def test_encryption_round_trip_and_keyed_hash():
    number = valid_id_number(7)
    token = personal.encrypt_id(number)
    assert number not in token
    assert personal.decrypt_id(token) == number
    assert personal.id_hash(number) == personal.id_hash(number.lower())
    assert personal.id_hash(number) != personal.id_hash(valid_id_number(8))
    assert personal.decrypt_id("not-a-token") == ""


def test_masks():
    assert personal.mask_id("11010519491231002X") == "110***********002X"
    assert personal.mask_phone("13912345678") == "139****5678"
    assert personal.mask_name("张三丰") == "张**"


@pytest.mark.django_db
def test_factories_build_a_registry(org):
    households = make_registry(org.grid1, buildings=2, per_building=3)
    assert Household.objects.filter(grid=org.grid1).count() == 6
    assert Resident.objects.filter(household__grid=org.grid1).count() == 12
    r = Resident.objects.filter(id_hash__gt="").first()
    assert personal.decrypt_id(r.id_number_enc).endswith(r.id_masked[-4:])
    make_cadre_link(households[0], org.grid1_worker)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_cadre_link(households[0], org.c1_handler)
    assert CadreLink.objects.count() == 1
    hh = make_registry(org.grid2, buildings=1, per_building=1)[0]
    make_resident(hh, id_number="")
    assert hh.tag_list == []


def test_production_refuses_to_start_without_the_registry_key(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINHU_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        MINHU_DEBUG="0",
        MINHU_SECRET_KEY="k" * 60,
        MINHU_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(repo),
    )
    r = subprocess.run(
        [sys.executable, str(repo / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0
    assert "MINHU_REGISTRY_KEY" in r.stderr
