import pytest

from minhu.categories.models import Category
from minhu.routing import classifier
from minhu.routing.classifier import KeywordScorer, classify_text, map_labels
from minhu.routing.models import LabelAlias


def test_keyword_scorer_ranks_subject_hits_above_detail_hits():
    scorer = KeywordScorer([("light", ["路灯", "不亮"]), ("water", ["停水", "水管"])])
    top = scorer.predict_top("小区路灯不亮", "晚上很黑，水管也有点漏")
    assert [label for label, _ in top] == ["light", "water"]
    light, water = top[0][1], top[1][1]
    # light: 2 subject hits (2+2=4); water: 1 detail hit (1); prior 2 → 4/7, 1/7
    assert light == pytest.approx(4 / 7)
    assert water == pytest.approx(1 / 7)


def test_keyword_scorer_single_hit_is_not_confident():
    scorer = KeywordScorer([("light", ["路灯"])])
    [(label, prob)] = scorer.predict_top("路灯", "")
    assert label == "light" and prob == pytest.approx(0.5)
    assert scorer.predict_top("噪音扰民", "楼下广场舞") == []


def test_classify_text_falls_back_to_keyword_rules_without_model(org):
    result = classify_text("东一社区路灯不亮", "门口路灯坏了一周")
    assert result.source == "rules" and result.model_version == "rules"
    assert result.top.category_id == org.category.pk
    assert result.top.name == "城乡建设 / 路灯照明"
    assert 0 < result.confidence < 1


def test_classify_text_without_rules_proposes_nothing(org):
    result = classify_text("楼上漏水", "卫生间渗水到楼下")
    assert result.source == "none" and result.candidates == []


def test_inactive_category_keywords_are_ignored(org):
    org.category.active = False
    org.category.save()
    assert classify_text("路灯不亮", "路灯坏了").source == "none"


def test_label_mapping_by_code_name_alias_and_unknown(org):
    water = Category.objects.create(name="供水", code="water", parent=org.top_category)
    Category.objects.create(name="供水", code="water2", parent=None)
    LabelAlias.objects.create(label="城乡建设类", category=org.top_category)
    m = map_labels(["streetlight", "城乡建设", "路灯照明", "供水", "城乡建设类", "教育文体"])
    assert m["streetlight"] == (org.category.pk, "城乡建设 / 路灯照明")  # code
    assert m["城乡建设"] == (org.top_category.pk, "城乡建设")  # first-level name
    assert m["路灯照明"] == (org.category.pk, "城乡建设 / 路灯照明")  # unique name
    assert m["供水"][0] != water.pk and m["供水"][0] is not None  # the first-level one wins
    assert m["城乡建设类"] == (org.top_category.pk, "城乡建设")  # alias
    assert m["教育文体"] == (None, "教育文体")  # unknown: kept as text


def test_active_model_is_loaded_once_per_version(org, monkeypatch):
    from minhu.routing import actions
    from minhu.routing.tests.helpers import FakeClassifier

    loads = []

    def fake_load(blob):
        loads.append(bytes(blob))
        return FakeClassifier([("streetlight", 0.9), ("城乡建设", 0.1)])

    monkeypatch.setattr(classifier, "load_blob", fake_load)
    classifier.clear_cache()
    actions.store_model(
        actor=None,
        blob=b"v1",
        labels=["streetlight"],
        params={},
        evaluation={},
        trained_on="test",
        n_samples=2,
    )
    for _ in range(3):
        result = classify_text("路灯", "不亮")
    assert loads == [b"v1"]
    assert result.source == "model" and result.model_version == "v1"
    assert result.top.category_id == org.category.pk and result.confidence == 0.9
    actions.store_model(
        actor=None,
        blob=b"v2",
        labels=["streetlight"],
        params={},
        evaluation={},
        trained_on="test",
        n_samples=2,
    )
    assert classify_text("路灯", "不亮").model_version == "v2"
    assert loads == [b"v1", b"v2"]
    classifier.clear_cache()


def test_unloadable_model_falls_back_to_rules_and_is_reported(org, client, monkeypatch):
    from django.urls import reverse

    from minhu.orgs.testing import PASSWORD
    from minhu.routing import actions

    def broken(blob):
        raise ValueError("not a model")

    classifier.clear_cache()
    monkeypatch.setattr(classifier, "load_blob", broken)
    actions.store_model(
        actor=None,
        blob=b"garbage",
        labels=["a", "b"],
        params={},
        evaluation={},
        trained_on="test",
        n_samples=2,
    )
    assert classify_text("路灯不亮", "路灯坏了").source == "rules"
    with pytest.raises(classifier.ModelLoadError):
        classifier.active_model(strict=True)
    client.login(username="dispatcher", password=PASSWORD)
    page = client.get(reverse("routing:admin")).content.decode()
    assert "该模型无法加载" in page
    classifier.clear_cache()
