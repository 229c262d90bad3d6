"""Text search: the same matches on every backend; on PostgreSQL the bigram index narrows the
rows and never drops a true match."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from minhu.appeals import actions
from minhu.appeals.models import Appeal, AppellantKind
from minhu.appeals.search import (
    SQL_INDEX,
    bigram_tsquery,
    phone_digits,
    query_bigrams,
    search_appeals,
)

from .factories import register

TEXTS = [
    ("路灯不亮", "小区门口的路灯坏了一个星期", "幸福路12号", "张三", "13812345678"),
    ("噪音扰民", "夜间施工噪音很大，LED 大屏也太亮", "建设大街1号院", "李四", "13900001111"),
    ("垃圾清运", "垃圾桶满了没人清理；O'Brien 说的", "和平里3-2-101", "王五", "010-66554433"),
    ("Wi-Fi 不通", "图书馆 WiFi 时断时续 C:\\path", "Istanbul 路", "Ozan", "13712340000"),
    ("路面坑洼", "路面有个大坑，雨天积水", "", "", ""),
]


@pytest.fixture
def appeals(org):
    made = []
    for subject, detail, address, name, phone in TEXTS:
        kind = AppellantKind.PERSON if phone else AppellantKind.ANONYMOUS
        made.append(
            register(
                org,
                subject=subject,
                detail=detail,
                address=address,
                appellant_name=name,
                appellant_kind=kind,
                phone=phone,
            )
        )
    return made


def exact(text: str, *, appellant_name: bool = False, phone: bool = False) -> set[int]:
    """The matches found in Python, to compare the database's answer with."""
    folded = text.casefold()
    digits = phone_digits(text) if phone else ""
    return {
        a.pk
        for a in Appeal.objects.all()
        if a.code.casefold() == folded
        or any(folded in v.casefold() for v in (a.subject, a.detail, a.address))
        or (appellant_name and a.appellant_name.casefold() == folded)
        or (digits and digits in a.appellant_phone.replace("-", ""))
    }


def found(text: str, **kw) -> set[int]:
    return set(search_appeals(Appeal.objects.all(), text, **kw).values_list("pk", flat=True))


def test_query_bigrams_fold_ascii_and_skip_letters_that_fold_differently():
    assert query_bigrams("路灯") == ["路灯"]
    assert query_bigrams("路灯路灯") == ["路灯", "灯路"]
    assert query_bigrams("LED灯") == ["le", "ed", "d灯"]
    # i and s have non-ASCII upper-case partners (ı, ſ); É is cased and not ASCII
    assert query_bigrams("Wifi") == []
    assert query_bigrams("Café路") == ["ca", "af"]
    assert query_bigrams("灯") == []
    assert query_bigrams("") == []


def test_tsquery_text_quotes_every_lexeme():
    assert bigram_tsquery("路灯") == "('路灯')"
    assert bigram_tsquery("O'B") == "('o''' & '''b')"
    assert bigram_tsquery("a\\b") == "('a\\\\' & '\\\\b')"
    assert bigram_tsquery("13812", "路灯") == "('13' & '38' & '81' & '12') | ('路灯')"
    assert bigram_tsquery("路灯", "灯") == ""  # an alternative without bigrams: no narrowing
    assert bigram_tsquery("路灯", "路灯") == "('路灯')"


def test_phone_digits():
    assert phone_digits("010-66554433") == "01066554433"
    assert phone_digits("138 1234") == "1381234"
    assert phone_digits("138123") == ""
    assert phone_digits("路灯") == ""


@pytest.mark.parametrize(
    "text, kw",
    [
        ("路灯", {}),
        ("灯", {}),
        ("路", {}),
        ("噪音很大", {}),
        ("led", {}),
        ("LED 大屏", {}),
        ("o'brien", {}),
        ("wifi", {}),
        ("WI-FI", {}),
        ("c:\\path", {}),
        ("istanbul", {}),
        ("3-2-101", {}),
        ("王五", {"appellant_name": True}),
        ("王五", {}),
        ("66554433", {"phone": True}),
        ("010-6655 4433", {"phone": True}),
        ("138 1234 5678", {"phone": True}),
        ("没有这种诉求", {}),
        ("%", {}),
        ("_", {}),
        ("  路面  ", {}),
    ],
)
def test_matches_equal_the_plain_conditions(appeals, text, kw):
    assert found(text, **kw) == exact(text.strip(), **kw)


def test_expected_rows(appeals):
    lamp, noise, waste, wifi, road = (a.pk for a in appeals)
    assert found("路灯") == {lamp}
    assert found("led") == {noise}
    assert found("O'Brien") == {waste}
    assert found("WiFi") == {wifi}
    assert found("路") == {lamp, road, wifi}
    assert found(appeals[2].code.lower()) == {waste}
    assert found("王五", appellant_name=True) == {waste}
    assert found("010-66554433", phone=True) == {waste}
    assert found("") == {a.pk for a in appeals}


def test_random_substrings_never_lose_a_match(appeals):
    """Every substring of every stored field, in varied case, finds the same rows as the scan."""
    rng = random.Random(7)
    fields = [
        getattr(a, f)
        for a in appeals
        for f in ("subject", "detail", "address", "code", "appellant_phone")
    ]
    for _ in range(150):
        s = rng.choice([f for f in fields if f])
        i = rng.randrange(len(s))
        j = rng.randrange(i + 1, min(len(s), i + 8) + 1)
        text = "".join(c.upper() if rng.random() < 0.5 else c for c in s[i:j])
        if not text.strip():
            continue
        assert found(text, appellant_name=True, phone=True) == exact(
            text.strip(), appellant_name=True, phone=True
        ), text


def test_search_follows_edits(appeals, org):
    a = appeals[4]
    actions.edit_details(a, actor=org.dispatcher, detail="井盖丢了，晚上很危险")
    assert found("井盖") == {a.pk}
    assert a.pk not in found("积水")


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the bigram index is PostgreSQL only")


def test_index_exists_and_narrows(postgres, appeals):
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [SQL_INDEX])
        (indexdef,) = cur.fetchone()
    assert "gin" in indexdef and "minhu_appeal_bigrams" in indexdef
    qs = search_appeals(Appeal.objects.all(), "路灯")
    assert "minhu_appeal_bigrams" in str(qs.query) and "@@" in str(qs.query)
    with connection.cursor() as cur:
        # a handful of rows: forbid the plans that beat any index at this size
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
    plan = qs.order_by().explain()
    assert SQL_INDEX in plan


def test_one_character_scans_without_the_index_condition(postgres, appeals):
    assert "@@" not in str(search_appeals(Appeal.objects.all(), "灯").query)


def test_document_function_folds_ascii_only(postgres, db):
    with connection.cursor() as cur:
        cur.execute("SELECT minhu_appeal_bigrams('路灯AB', NULL, '', 'Éx', NULL, 'c')::text")
        (text,) = cur.fetchone()
    lexemes = set(text.replace("'", " ").split())
    assert {"路灯", "灯a", "ab", "Éx"} <= lexemes
    assert not {"AB", "灯A", "éx"} & lexemes
