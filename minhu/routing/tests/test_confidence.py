"""Near-duplicate groups, calibration and operating points (minhu.routing.confidence) and the
grouped, calibrated cross-validation of textclf, on small synthetic data. No database."""

from __future__ import annotations

import numpy as np
import pytest

from minhu.routing import confidence, textclf
from minhu.routing.textclf import TextClassifier

from .test_textclf import BENCH, make_data

# a pool of common characters: random filler keeps independent texts far apart in shingles
POOL = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]
KEYWORDS = {
    "城乡建设": ["路灯不亮", "道路破损", "井盖丢失"],
    "教育文体": ["学校收费", "学位不足", "校车安全"],
    "环境保护": ["噪音扰民", "油烟污染", "排污臭味"],
}


def varied_data(per_class: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Texts of a class share a keyword; the rest is random characters (distinct texts)."""
    import random

    rng = random.Random(seed)
    subjects, details, labels = [], [], []
    for label, words in KEYWORDS.items():
        for _ in range(per_class):
            w = rng.choice(words)
            filler = "".join(rng.choice(POOL) for _ in range(40))
            subjects.append(w + "".join(rng.choice(POOL) for _ in range(4)))
            details.append(filler[:20] + w + filler[20:])
            labels.append(label)
    return subjects, details, labels


@pytest.fixture(autouse=True)
def _fast_password_hasher():
    """No-op: no Django here."""


@pytest.fixture(autouse=True)
def _default_language():
    """No-op: no Django here."""


def test_near_duplicate_groups_join_copies_and_rewrites_transitively():
    texts = [
        "A市星沙镇路灯不亮，晚上一片漆黑，居民出行很不方便，请尽快维修",  # 0
        "A市星沙镇路灯不亮，晚上一片漆黑，居民出行很不方便，请尽快维修！",  # 1: copy
        "星沙镇路灯不亮，晚上一片漆黑，居民出行很不方便，请有关部门尽快维修",  # 2: rewritten
        "学校以各种名义收取费用，请教育局查处违规办学行为",  # 3: unrelated
        "",  # 4: empty
        "",  # 5: empty, not joined to 4
    ]
    g = confidence.near_duplicate_groups(texts)
    assert g[0] == g[1] == g[2]
    assert len({g[0], g[3], g[4], g[5]}) == 4
    # a strict threshold keeps only the exact-ish copy
    strict = confidence.near_duplicate_groups(texts, threshold=0.9)
    assert strict[0] == strict[1] and strict[2] != strict[0]
    assert confidence.near_duplicate_groups([]).shape == (0,)


def test_ece_and_reliability_table():
    conf = np.array([0.95] * 100 + [0.55] * 100)
    ok = np.array([True] * 95 + [False] * 5 + [True] * 55 + [False] * 45)
    assert confidence.expected_calibration_error(conf, ok) == pytest.approx(0.0, abs=1e-9)
    over = np.array([0.99] * 100)
    ok_half = np.array([True, False] * 50)
    assert confidence.expected_calibration_error(over, ok_half) == pytest.approx(0.49)
    rows = confidence.reliability_table(conf, ok)
    by_lo = {r["lo"]: r for r in rows}
    assert by_lo[0.5]["n"] == 100 and by_lo[0.5]["accuracy"] == pytest.approx(0.55)
    assert by_lo[0.95]["n"] == 100 and by_lo[0.95]["confidence"] == pytest.approx(0.95)
    assert by_lo[0.0]["n"] == 0 and by_lo[0.0]["accuracy"] is None
    assert sum(r["n"] for r in rows) == 200
    # 1.0 falls into the last, closed bin
    assert confidence.reliability_table(np.array([1.0]), np.array([True]))[-1]["n"] == 1


def test_temperature_fixes_overconfident_logits():
    rng = np.random.default_rng(0)
    n, k = 4000, 4
    y = rng.integers(0, k, n)
    true_logits = rng.normal(0, 1, (n, k))
    true_logits[np.arange(n), y] += 1.5
    # sample labels from softmax(true_logits): then T=1 is right for true_logits
    p = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in p])
    t = confidence.fit_temperature(true_logits * 3.0, y)  # three times too sharp
    assert t == pytest.approx(3.0, rel=0.15)

    def ece(z):
        q = np.exp(z - z.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
        return confidence.expected_calibration_error(q.max(axis=1), q.argmax(axis=1) == y)

    assert ece(true_logits * 3.0 / t) < ece(true_logits * 3.0) / 3
    assert confidence.fit_temperature(np.zeros((1, 3)), np.array([0])) == 1.0


def test_operating_curve_and_coverage_at_precision():
    conf = np.array([0.99, 0.98, 0.97, 0.9, 0.9, 0.8, 0.6, 0.5])
    ok = np.array([True, True, True, True, False, True, False, True])
    pt = confidence.operating_point(conf, ok, 0.9)
    assert pt["coverage"] == pytest.approx(5 / 8) and pt["precision"] == pytest.approx(4 / 5)
    assert confidence.operating_point(conf, ok, 1.0) == {
        "threshold": 1.0,
        "coverage": 0.0,
        "precision": 1.0,
        "n": 0,
    }
    cap = confidence.coverage_at_precision(conf, ok, 0.98)
    # the two 0.9s go together: cutting between them is not a threshold
    assert cap["coverage"] == pytest.approx(3 / 8) and cap["threshold"] == 0.97
    cap80 = confidence.coverage_at_precision(conf, ok, 0.8)
    assert cap80["coverage"] == pytest.approx(6 / 8) and cap80["threshold"] == 0.8
    none = confidence.coverage_at_precision(np.array([0.9]), np.array([False]), 0.98)
    assert none["coverage"] == 0.0 and none["threshold"] is None
    curve = confidence.operating_curve(conf, ok)
    assert [p["threshold"] for p in curve] == list(confidence.CURVE_THRESHOLDS)
    assert all(a["coverage"] >= b["coverage"] for a, b in zip(curve, curve[1:], strict=False))


def test_grouped_cross_validation_keeps_near_duplicates_in_one_fold(monkeypatch):
    subjects, details, labels = varied_data(per_class=24, seed=5)
    # every text twice: plain folds would split most copies, grouped ones must not
    subjects, details, labels = subjects * 2, details * 2, labels * 2
    seen: list[tuple[set, set]] = []
    original = TextClassifier.fit

    def spy(self, s, d, y, unlabeled=None):
        seen.append(set(zip(s, d, strict=True)))
        return original(self, s, d, y, unlabeled=unlabeled)

    monkeypatch.setattr(TextClassifier, "fit", spy)
    report = textclf.evaluate(
        TextClassifier,
        subjects,
        details,
        labels,
        folds=3,
        grouped=True,
        threshold=0.5,
        latency_samples=2,
    )
    texts = set(zip(subjects, details, strict=True))
    assert report["grouped"] and report["group_info"]["rows_in_groups"] == len(labels)
    assert len(seen) == 3
    # a held-out text never has its copy in the training folds
    for train in seen:
        held_out = texts - train
        assert held_out and not (held_out & train)
    for key in ("ece", "ece_uncalibrated", "reliability", "curve", "coverage_at_precision"):
        assert key in report
    assert 0.0 <= report["ece"] <= 1.0 and len(report["temperatures"]) == 3
    assert report["operating_point"]["threshold"] == 0.5
    assert set(report["per_class_operating"]) <= set(labels)
    lines = textclf.format_report(report).splitlines()
    assert lines[-1].startswith("macro-F1 ")
    assert lines[-3].startswith("auto-dispatch: threshold 0.50 coverage ")
    assert lines[-2].startswith("coverage at precision 0.98: ")
    plain = textclf.evaluate(TextClassifier, subjects, details, labels, folds=3, latency_samples=2)
    assert plain["grouped"] is False and plain["group_info"] is None


def test_grouped_cross_validation_falls_back_when_everything_is_one_group():
    subjects, details, labels = make_data(per_class=12, seed=5)  # templated: all alike
    report = textclf.evaluate(
        TextClassifier, subjects, details, labels, folds=3, grouped=True, latency_samples=1
    )
    assert report["grouped"] is False
    assert "fallback" in report["group_info"] and report["group_info"]["groups"] < 3


def test_temperature_is_fitted_persisted_and_used_by_predict_top():
    subjects, details, labels = make_data(per_class=30, seed=7)
    clf = TextClassifier(temperature_scaling=True).fit(subjects, details, labels)
    assert clf.temperature > 0 and clf.temperature != 1.0
    clone = TextClassifier.from_bytes(clf.to_bytes())
    assert clone.temperature == clf.temperature
    raw = clf.predict_proba(subjects[:5], details[:5], calibrated=False)
    cal = clf.predict_proba(subjects[:5], details[:5])
    assert not np.allclose(raw, cal)
    top = clone.predict_top(subjects[0], details[0], k=1)[0][1]
    assert top == pytest.approx(cal[0].max())
    plain = TextClassifier().fit(subjects, details, labels)  # the default: no temperature
    assert plain.temperature == 1.0
    # the temperature only rescales the stacker's logits
    z = np.log(plain.predict_proba(subjects[:5], details[:5]))
    z2 = np.log(clone.predict_proba(subjects[:5], details[:5]))
    assert (z.argmax(axis=1) == z2.argmax(axis=1)).all()
    off = TextClassifier(temperature_scaling=False, calibration_grouped=False).fit(
        subjects, details, labels
    )
    assert off.temperature == 1.0


@pytest.mark.bench
def test_bench_grouped_cv_is_calibrated():
    path = BENCH / "messages_labeled.csv"
    if not path.exists():
        pytest.skip("benchmark data not present")
    subjects, details, labels = textclf.read_labeled_csv(path)
    report = textclf.evaluate(
        TextClassifier,
        subjects,
        details,
        labels,
        folds=3,
        grouped=True,
        threshold=0.85,
        latency_samples=5,
    )
    assert report["group_info"]["rows_in_groups"] > 100
    assert report["macro_f1"] > 0.9
    assert report["ece"] < 0.03
    assert report["coverage_at_precision"]["coverage"] > 0.6
