"""Free-text search over appeals (`?q=` of the staff list, the dispatch queues and the API).

What matches is always the same and on every backend: the tracking code (case-insensitive,
exact), or the text as a case-insensitive substring of the subject, the detail or the address;
optionally the appellant's name (exact) and, for seven or more digits, part of their phone
(dashes ignored on both sides) -- only where the searcher may see that phone unmasked
(`access.phone_visible_q`).

On SQLite that is a scan, which is fine at the sizes SQLite deployments have. On PostgreSQL a
substring scan of ten million appeals takes seconds, and a trigram index cannot narrow the
two-character words most Chinese searches are (路灯, 噪音). So PostgreSQL gets a character
**bigram** index instead (what pg_bigm does, built from core features): the SQL function
`minhu_appeal_bigrams(subject, detail, address, name, phone, code)` returns the set of adjacent
character pairs of those fields (the phone without dashes) as a `tsvector` (verbatim lexemes,
no text-search parser), a GIN index covers that expression (migration appeals 0005), and a
search adds the condition "the row has every bigram of the query". That condition is necessary for a match, never sufficient: the
exact conditions above stay and decide. Queries of one character have no bigram and scan.

Case: Django's `icontains` compares `UPPER(column)` with `UPPER(text)` under the database's
ctype. The function folds only ASCII A–Z, and the query keeps only the bigrams whose characters
fold the same way in Python and in PostgreSQL: uncased characters (Chinese, digits,
punctuation) and ASCII letters other than i and s (ı and ſ upper-case to I and S). A bigram
left out only makes the index condition weaker, never wrong.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.db.models.lookups import Contains

# Created and dropped by migration appeals 0005 (PostgreSQL only; the SQL is there). The index
# expression and the one a search filters on must be the same call for the index to be used.
SQL_FUNCTION = "minhu_appeal_bigrams"
SQL_INDEX = "appeals_appeal_text_bigrams"
DOCUMENT_FIELDS = ("subject", "detail", "address", "appellant_name", "appellant_phone", "code")

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _folds_alike(ch: str) -> bool:
    if ch.lower() == ch.upper():  # uncased: Chinese, digits, punctuation, spaces
        return True
    return ch.isascii() and ch.lower() not in "is"


def query_bigrams(text: str) -> list[str]:
    """The distinct bigrams of `text` (ASCII-folded) that the index condition may require."""
    folded = text.translate(_ASCII_FOLD)
    seen: dict[str, None] = {}
    for a, b in zip(folded, folded[1:], strict=False):
        if _folds_alike(a) and _folds_alike(b):
            seen.setdefault(a + b, None)
    return list(seen)


def _lexeme(bigram: str) -> str:
    return "'" + bigram.replace("\\", "\\\\").replace("'", "''") + "'"


def bigram_tsquery(*texts: str) -> str:
    """A tsquery (text form) true for a row that has every bigram of at least one of `texts`;
    empty when some text yields no bigram (then the index cannot narrow anything)."""
    alternatives = []
    for text in dict.fromkeys(texts):
        grams = query_bigrams(text)
        if not grams:
            return ""
        alternatives.append("(" + " & ".join(_lexeme(g) for g in grams) + ")")
    return " | ".join(alternatives)


LAST_DIGITS = 4


def phone_digits(text: str) -> str:
    """The digits of a phone-number query (seven or more, dashes and spaces allowed), else ''."""
    digits = text.replace("-", "").replace(" ", "")
    return digits if digits.isdigit() and len(digits) >= 7 else ""


def _phone_scope(phone: bool | Q | None) -> Q | None:
    if phone is True:
        return Q()
    return phone if isinstance(phone, Q) else None


def substring_conditions(
    text: str, *, appellant_name: bool = False, phone: bool | Q | None = False
) -> Q:
    """The conditions that decide a match (a scan on their own). `phone`: match phone digits
    (True), only within a condition (a Q: the appeals whose phone the user may see, see
    `access.phone_visible_q`), or not at all (False/None)."""
    cond = (
        Q(code__iexact=text)
        | Q(subject__icontains=text)
        | Q(detail__icontains=text)
        | Q(address__icontains=text)
    )
    if appellant_name:
        cond |= Q(appellant_name__iexact=text)
    scope = _phone_scope(phone)
    digits = phone_digits(text) if scope is not None else ""
    if digits:  # stored numbers may have a dash (010-66554433)
        cond |= Q(Contains(Replace(F("appellant_phone"), Value("-"), Value("")), digits)) & scope
    elif scope is not None and len(text) == LAST_DIGITS and text.isdigit():
        # callers often give only the last four digits
        cond |= Q(appellant_phone__endswith=text) & scope
    return cond


def search_appeals(
    qs: QuerySet, text: str, *, appellant_name: bool = False, phone: bool | Q | None = False
) -> QuerySet:
    """`qs` narrowed to the appeals matching `text` (see the module docstring); blank = all."""
    text = (text or "").strip()
    if not text:
        return qs
    qs = qs.filter(substring_conditions(text, appellant_name=appellant_name, phone=phone))
    if connections[qs.db].vendor == "postgresql":
        digits = phone_digits(text) if _phone_scope(phone) is not None else ""
        tsquery = bigram_tsquery(text, digits) if digits else bigram_tsquery(text)
        if tsquery:
            document = Func(*(F(name) for name in DOCUMENT_FIELDS), function=SQL_FUNCTION)
            query = Func(Value(tsquery), template="%(expressions)s::tsquery")
            qs = qs.filter(_BigramMatch(document, query))
    return qs


class _BigramMatch(Func):
    """`document @@ query`: the row has the query's bigrams (a condition usable in filter())."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def attribute_filter(qs: QuerySet, spec: str) -> QuerySet:
    """`qs` narrowed by one per-category field, `spec` = "code:value": a text value contains
    `value`, a choice holds the option key `value`, a number or date equals it (as text).
    A malformed spec or unknown code matches nothing."""
    code, sep, value = (spec or "").partition(":")
    code, value = code.strip(), value.strip()
    if not sep or not code or not value or not code.replace("-", "").replace("_", "").isalnum():
        return qs.none()
    has = Q(**{"attributes__has_key": code})
    scalar = Q(**{f"attributes__{code}__icontains": value})
    listed = Q(**{f"attributes__{code}__icontains": f'"{value}"'})
    return qs.filter(has & (scalar | listed))
