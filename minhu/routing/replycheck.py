"""Reply check: before an answer goes out, score how well it answers the appeal.

- relevance: cosine of character n-gram frequencies (sublinear TF; boilerplate phrases removed) blended with the share of the subject's key terms found in the reply;
- completeness: greeting (您好/尊敬的 ...), what was done (核实, 现场, 已安排 ...), the result
  (已修复, 现已, 依据规定 ...), contact (a phone number or 联系/咨询);
- timeliness: working days used since the appeal was received (China's official calendar);
- substance: a reply of a few characters ("已收悉") scores low whatever it contains.

score = substance × (0.45 × relevance + 0.35 × completeness) + 0.2 × timeliness."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter

from django.utils.translation import gettext as _

from .text import char_ngrams, normalize

# Phrases every reply uses; they say nothing about this appeal.
BOILERPLATE = re.compile(
    r"网友|您好|你好|尊敬的|感谢您|谢谢您|感谢你|谢谢|您反映的|你反映的|您所反映的|所反映的|"
    r"反映的问题|留言|来信|已收悉|收悉|关于您|现答复如下|答复如下|回复如下|现将|情况答复|"
    r"调查核实情况|核实情况|平台|栏目|支持|关注|理解|信任|问政|特此回复|此复|\d{4}年\d{1,2}月\d{1,2}日"
)
GREETING = re.compile(r"您好|你好|尊敬的|亲爱的|网友|先生|女士|同志")
ACTION = re.compile(
    r"经(过)?(调查|核实|核查|了解|查|现场|实地|协调|研究)|已(安排|组织|派|联系|协调|督促|责成|要求"
    r"|对|完成|更换|修复|清理|整改|处理|约谈|立案|查处|移交|核实)|现场|实地|立即|及时|调查|核查|"
    r"检查|处置|维修|清理|整改|督促|协调|约谈|执法|巡查|排查|走访|沟通|召开|会议|研究|组织|多次|"
    r"交涉|邀请|鉴定|受理|落实|开展|部署|督办|责令|处罚|查处|整治|修复|疏通|安装|更换|拆除|通知|"
    r"指定专人|专人|派员|调度"
)
RESULT = re.compile(
    r"已(解决|修复|恢复|完成|办结|整改|清理|拆除|更换|落实|疏通|安装|处理完毕|到位|补发|发放|退还)|"
    r"现已|目前已|目前|恢复正常|整改到位|处理结果|结果|依据|根据.{0,40}(规定|政策|条例|办法|法|通知|文件)|"
    r"符合|不符合|属实|不属实|将于|预计|计划|下一步|后续|今后|已经|完毕|正在|决定|同意|不予|予以|"
    r"可以|应当|应由|不具备|不属于|处理意见|综上"
)
CONTACT = re.compile(
    r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})(?!\d)|联系|咨询|电话|热线|来电|拨打|致电|"
    r"举报|联系人|窗口|来访"
)
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})(?!\d)")

# Relevance calibration (see relevance()).
COS_NONE, COS_FULL, COVERAGE_FULL = 0.03, 0.15, 0.5
# Below this the reply is flagged as off the point. On messages_replies.csv (answers over 60
# characters): 0.12 flags 6.6 % of the real answers and 93 % of answers given to another appeal;
# 0.2 flagged 9.3 % / 97 %, and most real answers it flagged were correct answers in other words.
RELEVANCE_WARN = 0.12
# Substance: characters of reply left after boilerplate, for full marks.
FULL_SUBSTANCE = 80
# working days used → timeliness
TIMELINESS_STEPS = ((3, 1.0), (5, 0.9), (7, 0.75), (10, 0.55), (15, 0.4), (30, 0.2))


def _key_terms(subject: str) -> list[str]:
    s = normalize(BOILERPLATE.sub(" ", subject))
    s = re.sub(
        r"[a-z]\d*[市区县]|关于|反映|请问|咨询|投诉|建议|问题|希望|要求|什么|怎么|为什么", " ", s
    )
    grams = []
    for part in s.split():
        grams += [part[i : i + 2] for i in range(len(part) - 1)]
    return list(dict.fromkeys(grams))


def _cosine(a: Counter, b: Counter) -> float:
    """Cosine of sublinear term frequencies."""
    if not a or not b:
        return 0.0
    wa = {k: 1.0 + math.log(v) for k, v in a.items()}
    wb = {k: 1.0 + math.log(v) for k, v in b.items()}
    dot = sum(w * wb[k] for k, w in wa.items() if k in wb)
    na = math.sqrt(sum(w * w for w in wa.values()))
    nb = math.sqrt(sum(w * w for w in wb.values()))
    return dot / (na * nb)


def relevance(subject: str, detail: str, reply: str) -> float:
    appeal = BOILERPLATE.sub(" ", f"{subject} {subject} {detail[:1000]}")
    answer = BOILERPLATE.sub(" ", reply)
    if not normalize(answer):
        return 0.0
    cos = _cosine(Counter(char_ngrams(appeal)), Counter(char_ngrams(answer)))
    terms = _key_terms(subject)
    norm_reply = normalize(reply)
    coverage = (sum(1 for t in terms if t in norm_reply) / len(terms)) if terms else cos
    # Calibrated on real answers (messages_replies.csv) against the same answers given to other
    # appeals: a cosine of COS_NONE or less is what an unrelated answer reaches (90th
    # percentile), COS_FULL is above the median of the true answers.
    cos_part = min(1.0, max(0.0, (cos - COS_NONE) / (COS_FULL - COS_NONE)))
    cov_part = min(1.0, coverage / COVERAGE_FULL)
    return float(0.6 * cos_part + 0.4 * cov_part)


def completeness(reply: str) -> tuple[float, dict[str, bool]]:
    head = reply[:40]
    parts = {
        "greeting": bool(GREETING.search(head)),
        "action": bool(ACTION.search(reply)),
        "result": bool(RESULT.search(reply)),
        "contact": bool(CONTACT.search(reply)),
    }
    return sum(parts.values()) / len(parts), parts


def timeliness_of(working_days: int | None) -> float:
    if working_days is None:
        return 1.0
    for limit, value in TIMELINESS_STEPS:
        if working_days <= limit:
            return value
    return 0.1


def substance(reply: str) -> float:
    return min(1.0, len(normalize(BOILERPLATE.sub("", reply))) / FULL_SUBSTANCE)


def score_reply(
    subject: str,
    detail: str,
    reply: str,
    *,
    working_days: int | None = None,
    overdue: bool | None = None,
) -> dict:
    """Scores in 0..1 and warnings (in the active language) for a reply to an appeal."""
    reply = (reply or "").strip()
    rel = relevance(subject or "", detail or "", reply)
    comp, parts = completeness(reply)
    timely = timeliness_of(working_days)
    if overdue:
        timely = min(timely, 0.4)
    sub = substance(reply)
    score = sub * (0.45 * rel + 0.35 * comp) + 0.2 * timely
    warnings = []
    if sub < 0.5:
        warnings.append(_("答复过于简短，请说明调查核实情况和办理结果"))
    if rel < RELEVANCE_WARN:
        warnings.append(_("答复与诉求内容关联度低，请针对群众反映的具体问题作答"))
    if not parts["greeting"]:
        warnings.append(_("缺少称呼或问候语（如“您好”）"))
    if not parts["action"]:
        warnings.append(_("未说明采取了哪些办理措施（如核实、现场处置、协调）"))
    if not parts["result"]:
        warnings.append(_("未说明办理结果或下一步安排"))
    if not parts["contact"]:
        warnings.append(_("未留联系方式（如联系电话）"))
    if overdue:
        warnings.append(_("已超过办结时限"))
    elif working_days is not None and working_days > 7:
        warnings.append(_("已用%(n)d个工作日，答复不够及时") % {"n": working_days})
    level = "good" if score >= 0.7 else ("fair" if score >= 0.5 else "weak")
    return {
        "score": round(score, 3),
        "relevance": round(rel, 3),
        "completeness": round(comp, 3),
        "timeliness": round(timely, 3),
        "substance": round(sub, 3),
        "parts": parts,
        "working_days": working_days,
        "level": level,
        "warnings": warnings,
    }


def check_reply(appeal, text: str, now: dt.datetime | None = None) -> dict:
    """The reply check for `appeal` if `text` were sent now."""
    from django.utils import timezone

    from minhu.deadlines.calendar import working_days_between

    now = now or timezone.now()
    days = working_days_between(appeal.created_at, now)
    overdue = bool(
        appeal.resolve_due_at and appeal.resolved_at is None and now > appeal.resolve_due_at
    )
    if appeal.resolve_due_at and appeal.resolved_at and appeal.resolved_at > appeal.resolve_due_at:
        overdue = True
    return score_reply(appeal.subject, appeal.detail, text, working_days=days, overdue=overdue)
