"""The six satisfaction domains and seven problem domains of seed 004 (editable afterwards).
Plain data: migration 0002 and `ensure_domains` (tests after a flush, the demo) read it."""

SATISFACTION = [
    ("living", "居住环境"),
    ("security", "社会治安"),
    ("conduct", "干部作风"),
    ("services", "公共服务"),
    ("transport", "交通出行"),
    ("ecology", "生态环境"),
]
PROBLEMS = [
    ("living", "居住环境", "living"),
    ("security", "社会治安", "security"),
    ("conduct", "干部作风", "conduct"),
    ("services", "公共服务", "services"),
    ("transport", "交通出行", "transport"),
    ("ecology", "生态环境", "ecology"),
    ("other", "其他", None),
]


def ensure_domains(sat_model, problem_model) -> None:
    """Create the default domains that are missing (existing rows are left as edited)."""
    sats = {}
    for i, (code, name) in enumerate(SATISFACTION):
        sats[code], _ = sat_model.objects.get_or_create(
            code=code, defaults={"name": name, "order": i}
        )
    for i, (code, name, sat) in enumerate(PROBLEMS):
        problem_model.objects.get_or_create(
            code=code, defaults={"name": name, "order": i, "satisfaction": sats.get(sat)}
        )
