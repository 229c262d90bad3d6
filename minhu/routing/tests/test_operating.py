"""Grouped evaluation, the automatic-dispatch lines of route-evaluate, --from-history figures
per second-level category (with dispatcher corrections), scheduled retraining with its
not-worse check and rollback, and the curve on the routing admin page. Small synthetic data."""

import random

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from minhu.categories.models import Category
from minhu.orgs.testing import PASSWORD
from minhu.routing import actions, classifier, training
from minhu.routing.models import ClassifierModel, DecisionKind, RoutingDecision

from .helpers import days_ago, register
from .test_commands import TOPICS, _close, write_csv

POOL = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]


@pytest.fixture(autouse=True)
def _clear():
    classifier.clear_cache()
    yield
    classifier.clear_cache()


def varied_rows(n_per_label: int, seed: int, words: dict | None = None) -> list[dict]:
    """Rows whose texts share a topic word and are otherwise random characters: independent
    texts, so grouped cross-validation has groups to work with."""
    rng = random.Random(seed)
    rows = []
    for label, (kws, _) in (words or TOPICS).items():
        for _ in range(n_per_label):
            w = "".join(rng.sample(kws, 2))
            filler = "".join(rng.choice(POOL) for _ in range(24))
            rows.append(
                {"id": len(rows), "subject": w + filler[:3], "detail": filler + w, "label": label}
            )
    rng.shuffle(rows)
    return rows


def test_train_stores_grouped_cv_and_evaluate_prints_the_auto_dispatch_lines(org, tmp_path, capsys):
    train_csv = write_csv(tmp_path / "train.csv", varied_rows(25, seed=1))
    test_csv = write_csv(tmp_path / "test.csv", varied_rows(10, seed=2))
    call_command("route-train", "--csv", str(train_csv))
    out = capsys.readouterr().out
    ev = ClassifierModel.objects.get().evaluation
    assert ev["method"] == "grouped stratified 5-fold cross-validation" and ev["grouped"]
    assert "grouped CV macro-F1" in out and "ECE" in out
    assert 0 <= ev["ece"] <= 1 and ev["curve"] and ev["threshold"] == 0.85
    assert ev["operating_point"]["threshold"] == 0.85
    assert [c["precision_target"] for c in ev["coverage_at_precisions"]][-2] == 0.98
    actions.update_config(actor=org.dispatcher, threshold=0.7)
    call_command("route-evaluate", "--csv", str(test_csv))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("macro-F1 ")
    auto = lines[-3].split()
    assert auto[:3] == ["auto-dispatch:", "threshold", "0.70"]
    assert auto[3] == "coverage" and 0 <= float(auto[4]) <= 1
    assert auto[5] == "precision" and 0 <= float(auto[6]) <= 1
    assert lines[-2].startswith("coverage at precision 0.98: ")
    assert 0 <= float(lines[-2].split(": ")[1]) <= 1
    assert any(line.startswith("calibration: ECE ") for line in lines)
    # an explicit threshold; 1.0 dispatches nothing
    call_command("route-evaluate", "--csv", str(test_csv), "--threshold", "1")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-3] == "auto-dispatch: threshold 1.00 coverage 0.0000 precision 1.0000"
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("route-evaluate", "--csv", str(test_csv), "--threshold", "2")


def _second_level(org):
    assert org.category.parent_id  # the fixture's 路灯照明 is a second-level category
    edu = Category.objects.create(name="教育文体", code="education")
    return {
        "streetlight": [org.category],
        "education": [
            Category.objects.create(name="招生入学", code="edu-admission", parent=edu),
            Category.objects.create(name="校园安全", code="edu-safety", parent=edu),
        ],
    }, edu


def test_from_history_reports_grouped_figures_per_second_level_category(org, capsys, monkeypatch):
    monkeypatch.setattr(training, "MIN_ROWS_FOR_CV", 20)
    cats, edu = _second_level(org)
    words = {k: v for k, v in TOPICS.items() if k in cats}
    rows = varied_rows(12, seed=3, words=words)
    for i, r in enumerate(rows):
        cat = cats[r["label"]][i % len(cats[r["label"]])]
        a = register(org, r["subject"], r["detail"], grid=org.grid1)
        lead = org.street1 if r["label"] == "streetlight" else org.dept3
        handler = org.s1_handler if r["label"] == "streetlight" else org.d3_handler
        _close(org, a, cat, lead, handler)
    # an open appeal whose machine proposal the dispatcher corrected joins the training data
    open_a = register(org, "学校招生学位不足", "孩子入学学位不够，学校说名额已满")
    actions.record_decision(
        open_a,
        kind=DecisionKind.PROPOSAL,
        proposal={"category_id": org.category.pk, "lead_unit_id": org.street1.pk, "top": []},
        category_id=org.category.pk,
        lead_unit_id=org.street1.pk,
    )
    from minhu.appeals import actions as appeal_actions

    appeal_actions.classify(open_a, actor=org.dispatcher, category=cats["education"][0])
    appeal_actions.dispatch(open_a, actor=org.dispatcher, lead_unit=org.dept3)
    call_command("route-train", "--from-history", "--level", "top")
    out = capsys.readouterr().out
    assert RoutingDecision.objects.filter(appeal=open_a, kind=DecisionKind.CORRECTION).exists()
    assert "history: 25 appeals (24 closed, 1 open with a dispatcher-reviewed category; " in out
    assert "1 corrected by a dispatcher" in out
    model = ClassifierModel.objects.get()
    ev = model.evaluation
    assert model.n_samples == 25
    assert sorted(model.labels) == sorted([edu.code, org.category.parent.code])
    assert ev["grouped"] and "cross-validation" in ev["method"]
    sub = ev["per_subgroup"]
    assert {"edu-admission", "edu-safety"} <= set(sub)
    assert sub["edu-admission"]["n"] == 7  # 6 closed + the corrected open one
    assert 0 <= sub["edu-safety"]["accuracy"] <= 1 and "coverage" in sub["edu-safety"]
    assert "per second-level category" in out and "edu-safety: 6," in out


def _history(org, rows, created_at, labels_override=None):
    edu = Category.objects.get_or_create(name="教育文体", code="education")[0]
    for i, r in enumerate(rows):
        label = labels_override[i] if labels_override else r["label"]
        a = register(org, r["subject"], r["detail"], grid=org.grid1, created_at=created_at)
        if label == "streetlight":
            _close(org, a, org.category, org.street1, org.s1_handler)
        else:
            _close(org, a, edu, org.dept3, org.d3_handler)


def test_scheduled_retrain_activates_only_if_not_worse_and_rolls_back(org, tmp_path, capsys):
    words = {k: v for k, v in TOPICS.items() if k in ("streetlight", "education")}
    # not enough recent appeals: nothing happens
    call_command("route-retrain", "--min-window", "5")
    assert "skipped: only 0 appeals in the last 30 days" in capsys.readouterr().out
    assert not ClassifierModel.objects.exists()

    old = varied_rows(10, seed=4, words=words)
    # the earlier history is mislabelled at random: a model fitted on it is bad
    rng = random.Random(0)
    noise = [rng.choice(["streetlight", "education"]) for _ in old]
    _history(org, old, days_ago(60), labels_override=noise)
    _history(org, varied_rows(5, seed=5, words=words), days_ago(5))
    # a good model is active: trained on correct labels (codes of this deployment)
    good = varied_rows(25, seed=6, words=words)
    for r in good:
        r["label"] = "streetlight" if r["label"] == "streetlight" else "education"
    assert org.category.code == "streetlight"
    call_command("route-train", "--csv", str(write_csv(tmp_path / "good.csv", good)))
    assert ClassifierModel.objects.get(active=True).version == 1
    capsys.readouterr()

    call_command("route-retrain", "--min-window", "5")
    out = capsys.readouterr().out
    assert "window: 10 appeals registered since" in out
    assert "kept: the candidate is worse on the recent window" in out
    assert ClassifierModel.objects.get(active=True).version == 1
    assert ClassifierModel.objects.count() == 1

    # a tolerance that accepts anything: a model on the whole history is stored and activated
    call_command("route-retrain", "--min-window", "5", "--tolerance", "1")
    out = capsys.readouterr().out
    assert "activated: not worse on the recent window (model v2)" in out
    v2 = ClassifierModel.objects.get(active=True)
    assert v2.version == 2 and v2.trained_on == "history" and v2.n_samples == 30
    assert v2.evaluation["retrain"]["window"]["rows"] == 10
    assert ClassifierModel.objects.filter(version=1).exists()  # kept for the rollback

    call_command("route-retrain", "--rollback")
    assert "model v1 is active again" in capsys.readouterr().out
    assert ClassifierModel.objects.get(active=True).version == 1
    # dry run: compares, stores nothing
    call_command("route-retrain", "--min-window", "5", "--tolerance", "1", "--dry-run")
    assert "dry-run: the candidate would be activated" in capsys.readouterr().out
    assert ClassifierModel.objects.count() == 2


def test_rollback_without_a_previous_model(db):
    with pytest.raises(CommandError, match="no previous model"):
        call_command("route-retrain", "--rollback")


def test_admin_page_shows_the_auto_dispatch_curve(client, org, tmp_path):
    assert client.login(username=org.dispatcher.username, password=PASSWORD)
    page = client.get(reverse("routing:admin")).content.decode()
    assert "自动派单：比例与准确率" in page and 'id="rt-curve-data"' not in page
    call_command("route-train", "--csv", str(write_csv(tmp_path / "t.csv", varied_rows(20, 1))))
    page = client.get(reverse("routing:admin")).content.decode()
    assert 'id="rt-curve-data"' in page and "echarts.min.js" in page and "routing/curve.js" in page
    assert 'id="rt-targets"' in page and "≥ 0.98" in page
    assert "阈值0.85：自动派单比例" in page
    # a model stored before this evaluation existed: the empty state, no chart
    m = ClassifierModel.objects.get()
    ClassifierModel.objects.filter(pk=m.pk).update(evaluation={"macro_f1": 0.9})
    page = client.get(reverse("routing:admin")).content.decode()
    assert 'id="rt-curve-data"' not in page and "当前模型没有保存自动派单曲线" in page
