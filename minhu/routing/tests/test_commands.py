"""route-train / route-evaluate on small CSVs the test writes; --from-history."""

import csv
import random

import pytest
from django.core.management import CommandError, call_command

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Satisfaction
from minhu.categories.models import Category
from minhu.routing import classifier, training
from minhu.routing.models import ClassifierModel, RoutingEvent, RoutingEventKind

from .helpers import register

TOPICS = {
    "streetlight": (["路灯", "照明", "灯杆", "不亮", "灯泡"], "路灯照明"),
    "education": (["学校", "招生", "学位", "老师", "入学"], "教育文体"),
    "environment": (["噪音", "油烟", "排污", "臭味", "污染"], "环境保护"),
}
FILLER = ["小区", "附近", "居民", "希望", "尽快", "处理", "反映", "问题", "最近", "严重"]


def make_rows(n_per_label: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for label, (words, _) in TOPICS.items():
        for _ in range(n_per_label):
            picked = rng.sample(words, 3) + rng.sample(FILLER, 3)
            rng.shuffle(picked)
            rows.append(
                {
                    "id": len(rows),
                    "subject": "".join(picked[:3]),
                    "detail": "，".join(picked) + "。",
                    "label": label,
                }
            )
    rng.shuffle(rows)
    return rows


def write_csv(path, rows, fields=("id", "subject", "detail", "label")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def _clear():
    classifier.clear_cache()
    yield
    classifier.clear_cache()


def test_read_csv_errors(tmp_path):
    with pytest.raises(training.DataError, match="file not found"):
        training.read_csv(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(training.DataError, match="empty file"):
        training.read_csv(empty)
    cols = write_csv(tmp_path / "cols.csv", [{"id": 1, "subject": "a"}], fields=("id", "subject"))
    with pytest.raises(training.DataError, match="missing columns: detail, label"):
        training.read_csv(cols)
    header_only = write_csv(tmp_path / "header.csv", [])
    with pytest.raises(training.DataError, match="no usable rows"):
        training.read_csv(header_only)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("subject,detail,label\n路灯,不亮,城建\n".encode("gbk"))
    with pytest.raises(training.DataError, match="UTF-8"):
        training.read_csv(gbk)
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffSubject,Detail,Label,extra\n路灯,不亮,城建,x\n,,城建,x\n".encode())
    assert training.read_csv(bom) == (["路灯"], ["不亮"], ["城建"])


def test_commands_report_data_errors_clearly(db, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [{"id": 1, "subject": "a"}], fields=("id", "subject"))
    with pytest.raises(CommandError, match="missing columns"):
        call_command("route-train", "--csv", str(bad))
    with pytest.raises(CommandError, match="missing columns"):
        call_command("route-evaluate", "--csv", str(bad))
    with pytest.raises(CommandError, match="--csv PATH or --from-history"):
        call_command("route-train")
    one = write_csv(tmp_path / "one.csv", [{"subject": "路灯", "detail": "不亮", "label": "x"}])
    if training.textclf_ready():
        with pytest.raises(CommandError, match="at least two labels"):
            call_command("route-train", "--csv", str(one))


def test_history_labels_are_final_categories(org):
    with pytest.raises(training.DataError):
        training.history()
    edu = Category.objects.create(name="教育文体", code="education")
    a = register(org, "学校门口路灯不亮", "学校门口的路灯坏了", grid=org.grid1)
    appeal_actions.classify(a, actor=org.dispatcher, category=edu)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.dept3)
    appeal_actions.return_appeal(a, actor=org.d3_handler, reason="路灯不归教育局")
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)  # re-classified
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    appeal_actions.claim(a, actor=org.s1_handler)
    appeal_actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    appeal_actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    appeal_actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    appeal_actions.close(a, actor=org.dispatcher)
    register(org, "另一件未办结", "还在办理中的诉求内容", grid=org.grid1)
    subjects, details, labels = training.history()
    assert subjects == ["学校门口路灯不亮"] and labels == ["streetlight"]
    assert training.history(level="top")[2] == ["urban"]


@pytest.fixture
def need_textclf():
    # The classifier ships with Minhu: if it cannot be imported, that is a failure, not a skip.
    assert training.textclf_ready(), "minhu.routing.textclf cannot be imported"


def test_train_activate_and_evaluate_on_unseen_csv(org, tmp_path, capsys, need_textclf):
    train_csv = write_csv(tmp_path / "train.csv", make_rows(30, seed=1))
    test_csv = write_csv(tmp_path / "test.csv", make_rows(10, seed=2))
    call_command("route-train", "--csv", str(train_csv))
    out = capsys.readouterr().out
    model = ClassifierModel.objects.get()
    assert model.active and model.version == 1 and model.n_samples == 90
    assert model.trained_on == "csv:train.csv" and sorted(model.labels) == sorted(TOPICS)
    assert (
        "macro_f1" in model.evaluation and "5-fold cross-validation" in model.evaluation["method"]
    )
    assert model.evaluation["n"] == 90 and "curve" in model.evaluation
    assert model.size == len(bytes(model.blob)) > 0
    assert "model v1" in out and "active" in out
    assert RoutingEvent.objects.filter(kind=RoutingEventKind.ACTIVATE).count() == 1
    # The active model now makes the proposals (label → category by code).
    result = classifier.classify_text("路灯不亮", "小区路灯不亮，照明不好")
    assert result.source == "model" and result.model_version == "v1"
    assert result.top.category_id == org.category.pk
    assert len(result.candidates) == 3 and sum(c.prob for c in result.candidates) <= 1.0001
    call_command("route-evaluate", "--csv", str(test_csv))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("macro-F1 ") and len(lines[-1]) == len("macro-F1 0.0000")
    assert float(lines[-1].split()[1]) > 0.8
    text = "\n".join(lines)
    assert "accuracy" in text.lower() and "streetlight" in text
    # A second training makes v2 active, v1 stays stored.
    call_command("route-train", "--csv", str(train_csv), "--no-activate")
    assert ClassifierModel.objects.get(version=2).active is False
    assert ClassifierModel.objects.get(version=1).active is True


def test_evaluate_without_active_model(db, tmp_path, need_textclf):
    test_csv = write_csv(tmp_path / "test.csv", make_rows(3, seed=2))
    with pytest.raises(CommandError, match="No active model"):
        call_command("route-evaluate", "--csv", str(test_csv))


def _close(org, appeal, category, lead, handler):
    appeal_actions.classify(appeal, actor=org.dispatcher, category=category)
    appeal_actions.dispatch(appeal, actor=org.dispatcher, lead_unit=lead)
    appeal_actions.claim(appeal, actor=handler)
    appeal_actions.resolve(appeal, actor=handler, outcome_kind="on_spot", outcome="已现场处理完毕")
    appeal_actions.reply(appeal, actor=handler, text="您好，问题已处理完毕，感谢您的反映。")
    appeal_actions.record_follow_up(
        appeal,
        actor=org.callback,
        contacted=True,
        solved=True,
        satisfaction=Satisfaction.SATISFIED,
    )
    appeal_actions.close(appeal, actor=org.dispatcher)


def test_train_from_history(org, capsys, need_textclf):
    edu = Category.objects.create(name="教育文体", code="education")
    rows = make_rows(6, seed=3)
    for r in rows:
        if r["label"] == "environment":
            continue
        a = register(org, r["subject"], r["detail"], grid=org.grid1)
        if r["label"] == "streetlight":
            _close(org, a, org.category, org.street1, org.s1_handler)
        else:
            _close(org, a, edu, org.dept3, org.d3_handler)
    call_command("route-train", "--from-history")
    model = ClassifierModel.objects.get()
    assert model.trained_on == "history" and model.n_samples == 12 and model.active
    assert sorted(model.labels) == ["education", "streetlight"]
    out = capsys.readouterr().out
    assert "history: 12 appeals (12 closed, 0 open with a dispatcher-reviewed category" in out
    assert model.evaluation["n_test"] == 2  # too few rows for cross-validation: a holdout
    result = classifier.classify_text("学校招生学位", "孩子入学学位不够")
    assert result.source == "model" and result.top.category_id == edu.pk


def test_train_with_unlabeled_texts(org, tmp_path, capsys, need_textclf):
    train_csv = write_csv(tmp_path / "train.csv", make_rows(30, seed=1))
    unl_csv = write_csv(tmp_path / "unl.csv", make_rows(10, seed=3), fields=("subject", "detail"))
    call_command("route-train", "--csv", str(train_csv), "--unlabeled", str(unl_csv))
    assert "30 unlabelled texts" in capsys.readouterr().out
    model = ClassifierModel.objects.get()
    assert model.n_samples == 90 and model.evaluation["unlabeled"]["used"] == 30
    assert classifier.classify_text("路灯不亮", "小区路灯不亮").top.category_id == org.category.pk
    bad = write_csv(tmp_path / "bad.csv", [{"subject": "a"}], fields=("subject",))
    with pytest.raises(CommandError, match="detail"):
        call_command("route-train", "--csv", str(train_csv), "--unlabeled", str(bad))
