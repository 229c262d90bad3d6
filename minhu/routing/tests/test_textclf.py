"""Tests of the pure-Python text classifier (minhu.routing.textclf): no Django, no database.

The data is synthetic, generated here from templates; the `bench` test uses the real benchmark
file in ../shared/bench when it is present (never copied into the repository)."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from minhu.routing import textclf
from minhu.routing.textclf import TextClassifier

REPO_ROOT = Path(__file__).resolve().parents[3]
BENCH = REPO_ROOT.parent / "shared" / "bench"

PLACES = ["A市", "B1区", "C3县", "D2区", "星沙镇", "河西", "望城", "开福区"]
TOPICS = {
    "城乡建设": (
        ["路灯不亮", "道路破损", "下水道堵塞", "小区路面塌陷", "井盖丢失", "违章搭建"],
        ["晚上一片漆黑，居民出行不便", "坑洼不平，雨天积水严重", "请城管和住建部门尽快维修"],
    ),
    "劳动和社会保障": (
        ["工资拖欠", "社保断缴", "养老保险转移", "公司不签劳动合同", "失业金申领", "工伤认定"],
        ["老板拖欠我们三个月工资", "单位没有给员工缴纳社保", "请人社局帮助维护劳动者权益"],
    ),
    "教育文体": (
        ["学校乱收学费", "幼儿园收费过高", "中学补课", "学生课业负担重", "教师编制", "校车安全"],
        ["学校以各种名义收取费用", "孩子上学很不方便", "请教育局查处违规办学行为"],
    ),
}


def make_data(per_class: int = 30, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(seed)
    subjects, details, labels = [], [], []
    for label, (subj, det) in TOPICS.items():
        for _ in range(per_class):
            place = rng.choice(PLACES)
            subjects.append(f"{place}{rng.choice(subj)}")
            details.append(f"我是{place}居民，{rng.choice(det)}。{rng.choice(det)}，谢谢！")
            labels.append(label)
    order = list(range(len(labels)))
    rng.shuffle(order)
    return [subjects[i] for i in order], [details[i] for i in order], [labels[i] for i in order]


# minhu/conftest.py's autouse fixtures need Django's settings; these tests run without Django
# (pytest -p no:django), so this module shadows them by name with no-ops.
@pytest.fixture(autouse=True)
def _fast_password_hasher():
    """No-op: no Django here."""


@pytest.fixture(autouse=True)
def _default_language():
    """No-op: no Django here."""


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str], list[str]]:
    return make_data()


@pytest.fixture(scope="module")
def fitted(data) -> TextClassifier:
    return TextClassifier().fit(*data)


def test_fit_predict_top_orders_and_sums(fitted):
    assert fitted.labels == sorted(TOPICS)
    assert fitted.params["C"] == textclf.DEFAULT_PARAMS["C"]
    top = fitted.predict_top("E5区路灯不亮", "晚上一片漆黑，道路坑洼", k=3)
    assert [label for label, _ in top][0] == "城乡建设"
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-6)  # k = all 3 classes
    assert len(fitted.predict_top("学校乱收学费", "", k=1)) == 1
    assert fitted.predict_top("学校乱收学费", "", k=1)[0][0] == "教育文体"
    assert fitted.predict_top("", "", k=2)[0][1] > 0  # empty text: still a distribution


def test_predict_many_matches_predict_top(fitted, data):
    subjects, details, labels = data
    many = fitted.predict_many(subjects, details)
    assert many == [
        fitted.predict_top(s, d, k=1)[0][0] for s, d in zip(subjects, details, strict=True)
    ]
    assert np.mean([a == b for a, b in zip(many, labels, strict=True)]) > 0.9
    assert fitted.predict_many([], []) == []
    proba = fitted.predict_proba(subjects[:5], details[:5])
    assert proba.shape == (5, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_round_trip_bytes(fitted, data):
    subjects, details, _ = data
    blob = fitted.to_bytes()
    assert isinstance(blob, bytes)
    clone = TextClassifier.from_bytes(blob)
    assert clone.labels == fitted.labels
    assert clone.params == fitted.params
    assert clone.predict_many(subjects, details) == fitted.predict_many(subjects, details)
    for s, d in zip(subjects[:10], details[:10], strict=True):
        assert clone.predict_top(s, d, k=3) == fitted.predict_top(s, d, k=3)
    buf = io.BytesIO()
    joblib.dump({"format": -1}, buf)
    with pytest.raises(ValueError):
        TextClassifier.from_bytes(buf.getvalue())


def test_char_block_matches_sklearn_tfidf():
    subjects, details, _ = make_data(per_class=10)
    texts = [textclf._clean(t) for t in details + subjects + ["", "ABC Ｄé😀x"]]
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    R = ref.fit_transform(texts).toarray()
    block, X = textclf._Block.fit_char("detail", texts, (1, 3), 2, True, 0.7, 4)
    assert X.shape == R.shape
    for i, text in enumerate(texts):
        assert np.allclose(np.sort(X[i].data), np.sort(R[i][R[i] > 0] * 0.7), atol=1e-6)
        idx, values = block.features(text)
        row = np.zeros(X.shape[1])
        row[idx - 4] = values
        assert np.allclose(row, X[i].toarray()[0], atol=1e-6)


def test_small_and_binary_data():
    subjects, details, labels = make_data(per_class=10, seed=3)  # 30 rows, 3 classes
    clf = TextClassifier().fit(subjects, details, labels)
    assert clf.predict_top("工资拖欠", "老板拖欠工资", k=1)[0][0] == "劳动和社会保障"
    # two rows per class: too few to calibrate out of fold, plain softmax
    tiny = TextClassifier().fit(
        ["路灯不亮", "道路破损", "工资拖欠", "社保断缴"],
        ["", "", "", ""],
        ["建设", "建设", "社保", "社保"],
    )
    top = tiny.predict_top("路灯坏了", "", k=5)
    assert len(top) == 2 and sum(p for _, p in top) == pytest.approx(1.0)
    keep = [i for i, lab in enumerate(labels) if lab != "教育文体"]
    binary = TextClassifier().fit(
        [subjects[i] for i in keep], [details[i] for i in keep], [labels[i] for i in keep]
    )
    top = binary.predict_top("路灯不亮", "晚上一片漆黑", k=2)
    assert top[0][0] == "城乡建设"
    assert sum(p for _, p in top) == pytest.approx(1.0)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        TextClassifier().fit(["a", "b"], ["c", "d"], ["x", "x"])
    with pytest.raises(ValueError):
        TextClassifier().fit(["a"], ["c", "d"], ["x", "y"])
    with pytest.raises(TypeError):
        TextClassifier(no_such_param=1)


def test_word_features_option(data):
    subjects, details, labels = data
    clf = TextClassifier(word_weight=0.5).fit(subjects, details, labels)
    assert len(clf._blocks) == 4
    clone = TextClassifier.from_bytes(clf.to_bytes())
    assert clone.predict_many(subjects, details) == clf.predict_many(subjects, details)
    assert clf.predict_top("社保断缴", "单位没有缴纳社保", k=1)[0][0] == "劳动和社会保障"


def test_evaluate_fields_and_format(data):
    subjects, details, labels = data
    report = textclf.evaluate(
        lambda: TextClassifier(), subjects, details, labels, folds=3, seed=1, latency_samples=20
    )
    assert 0.8 <= report["macro_f1"] <= 1.0
    assert 0.8 <= report["accuracy"] <= 1.0
    assert len(report["fold_macro_f1"]) == 3
    assert set(report["per_class_f1"]) == set(TOPICS)
    conf = report["confusion"]
    assert conf["labels"] == sorted(TOPICS)
    assert sum(map(sum, conf["matrix"])) == len(labels)
    assert 0 < report["latency_p50_ms"] <= report["latency_p99_ms"]
    assert report["train_seconds"] > 0
    text = textclf.format_report(report)
    assert re.match(r"^macro-F1 \d\.\d{4}$", text.splitlines()[-1])
    assert text.splitlines()[-1] == f"macro-F1 {report['macro_f1']:.4f}"
    assert "城乡建设" in text and "p99" in text


def test_holdout_report(fitted):
    subjects, details, labels = make_data(per_class=8, seed=11)
    labels[0] = "未知类别"  # a label the model does not know: an error, listed
    report = textclf.holdout_report(fitted, subjects, details, labels, latency_samples=10)
    assert report["unknown_labels"] == ["未知类别"]
    assert 0.5 < report["accuracy"] < 1.0
    assert "train_seconds" not in report
    assert sum(map(sum, report["confusion"]["matrix"])) == len(labels)
    lines = textclf.format_report(report).splitlines()
    assert re.match(r"^macro-F1 \d\.\d{4}$", lines[-1])
    json.dumps(report)  # stored as a model's evaluation


def test_read_labeled_csv(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "id,Subject,detail,label,extra\n1,路灯不亮,晚上很黑,城乡建设,x\n2,,,教育文体,y\n"
        '3,工资拖欠,"老板,拖欠",劳动和社会保障,z\n',
        encoding="utf-8-sig",
    )
    subjects, details, labels = textclf.read_labeled_csv(good)
    assert subjects == ["路灯不亮", "工资拖欠"]
    assert details == ["晚上很黑", "老板,拖欠"]
    assert labels == ["城乡建设", "劳动和社会保障"]
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,detail,category\n路灯不亮,很黑,城乡建设\n", encoding="utf-8")
    with pytest.raises(ValueError, match="label"):
        textclf.read_labeled_csv(bad)


@pytest.mark.bench
def test_bench_two_fold_sanity():
    path = BENCH / "messages_labeled.csv"
    if not path.exists():
        pytest.skip(f"benchmark data not found: {path}")
    subjects, details, labels = textclf.read_labeled_csv(path)
    report = textclf.evaluate(
        lambda: TextClassifier(), subjects, details, labels, folds=2, seed=0, latency_samples=50
    )
    assert report["macro_f1"] > 0.85, textclf.format_report(report)


def test_unlabeled_texts_vocabulary_and_dedup(data):
    subjects, details, labels = data
    novel = ["霓虹灯箱坏了", "霓虹灯箱闪烁"]  # "霓虹" occurs in no labelled text
    unlabeled = (
        novel + [subjects[0], subjects[0], "  ", "路灯"],
        ["", "", details[0], details[0], "", "不亮"],
    )
    plain = TextClassifier().fit(subjects, details, labels)
    semi = TextClassifier(self_training_weight=0.0).fit(
        subjects, details, labels, unlabeled=unlabeled
    )
    # the labelled copy and the blank text are dropped; the rest is fitted into the vocabulary
    assert semi.unlabeled_stats == {"given": 6, "used": 3, "pseudo_labeled": 0}
    code = textclf._char_ngram_codes("霓虹", 2, 2)[0]
    assert code in semi._blocks[0].codes and code not in plain._blocks[0].codes
    off = TextClassifier(unlabeled_idf=False, self_training_weight=0.0).fit(
        subjects, details, labels, unlabeled=unlabeled
    )
    assert code not in off._blocks[0].codes
    assert off.predict_many(subjects, details) == plain.predict_many(subjects, details)
    with pytest.raises(ValueError):
        TextClassifier().fit(subjects, details, labels, unlabeled=(["a"], []))


def test_self_training_learns_from_pseudo_labels(data):
    subjects, details, labels = data
    # unlabelled texts: clearly 城乡建设 by their detail, with a subject word no labelled text has
    u_subjects = [f"霓虹{p}" for p in PLACES] * 2
    det = TOPICS["城乡建设"][1]
    u_details = [
        f"我是{p}居民，{det[i % 3]}。{det[(i + 1) % 3]}，谢谢！" for i, p in enumerate(PLACES)
    ]
    u_details = [d + "！" * i for i, d in enumerate(u_details * 2)]  # distinct texts
    kw = {"self_training_threshold": 0.5, "self_training_balanced": False}
    base = TextClassifier(self_training_weight=0.0, **kw).fit(
        subjects, details, labels, unlabeled=(u_subjects, u_details)
    )
    st = TextClassifier(self_training_weight=0.5, **kw).fit(
        subjects, details, labels, unlabeled=(u_subjects, u_details)
    )
    assert base.unlabeled_stats["pseudo_labeled"] == 0
    assert st.unlabeled_stats["pseudo_labeled"] == len(u_subjects)
    p_base = dict(base.predict_top("霓虹", "", k=3))["城乡建设"]
    p_st = dict(st.predict_top("霓虹", "", k=3))["城乡建设"]
    assert st.predict_top("霓虹", "", k=1)[0][0] == "城乡建设"
    assert p_st > p_base
    # nothing reaches the threshold: no pseudo-labels, same model as without self-training
    # balanced: all pseudo-labels would be one class, none of the others is confident -> none
    balanced = TextClassifier(
        self_training_weight=0.5, self_training_threshold=0.5, self_training_balanced=True
    ).fit(subjects, details, labels, unlabeled=(u_subjects, u_details))
    assert balanced.unlabeled_stats["pseudo_labeled"] == 0
    none = TextClassifier(self_training_threshold=1.01).fit(
        subjects, details, labels, unlabeled=(u_subjects, u_details)
    )
    assert none.unlabeled_stats["pseudo_labeled"] == 0
    assert none.predict_many(subjects, details) == base.predict_many(subjects, details)
    clone = TextClassifier.from_bytes(st.to_bytes())
    assert clone.predict_top("霓虹", "", k=3) == st.predict_top("霓虹", "", k=3)


def test_balanced_pseudo_labels_follow_labelled_distribution():
    # 6 confident rows: class 0 x4, class 1 x2; labelled counts 10 and 10 -> 2 of each
    proba = np.array([[0.9, 0.1], [0.99, 0.01], [0.95, 0.05], [0.97, 0.03], [0.2, 0.8], [0.1, 0.9]])
    rows = np.arange(6)
    assert textclf._balanced(rows, proba, np.array([10, 10])).tolist() == [1, 3, 4, 5]
    # labelled 20 / 10: class 1 supplies 2 = 0.2 per row -> 4 of class 0 and 2 of class 1
    assert textclf._balanced(rows, proba, np.array([20, 10])).tolist() == [0, 1, 2, 3, 4, 5]
    assert textclf._balanced(rows[:4], proba, np.array([10, 10])).tolist() == []


def test_evaluate_passes_unlabeled(data):
    subjects, details, labels = data
    seen = []

    class Spy(TextClassifier):
        def fit(self, *args, **kwargs):
            seen.append(kwargs.get("unlabeled"))
            return super().fit(*args, **kwargs)

    unl = (["路灯坏了"], ["晚上很黑"])
    textclf.evaluate(Spy, subjects, details, labels, folds=2, latency_samples=2, unlabeled=unl)
    assert seen == [unl, unl]


def test_read_unlabeled_csv(tmp_path):
    good = tmp_path / "u.csv"
    good.write_text(
        "id,subject,time,Detail\n1,路灯不亮,2019/1/1,晚上很黑\n2,,x,\n3,,y,只有正文\n",
        encoding="utf-8-sig",
    )
    assert textclf.read_unlabeled_csv(good) == (["路灯不亮", ""], ["晚上很黑", "只有正文"])
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,text\n路灯不亮,很黑\n", encoding="utf-8")
    with pytest.raises(ValueError, match="detail"):
        textclf.read_unlabeled_csv(bad)
