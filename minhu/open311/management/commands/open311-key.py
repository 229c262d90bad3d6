"""`minhu open311-key create NAME [--contact C] [--rate-limit N]` (the key on the last line),
`minhu open311-key list`, `minhu open311-key revoke ID|PREFIX`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from minhu.core.errors import DomainError
from minhu.open311 import actions
from minhu.open311.models import ApiKey
from minhu.orgs.models import Role, User


def _admin() -> User:
    admin = User.objects.filter(is_active=True, memberships__role=Role.ADMIN).order_by("id").first()
    if admin is None:
        raise CommandError("no active administrator: create one first")
    return admin


class Command(BaseCommand):
    help = "Issue, list and revoke Open311 client keys"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        create = sub.add_parser("create", help="issue a key; prints it on the last line")
        create.add_argument("name")
        create.add_argument("--contact", default="")
        create.add_argument("--rate-limit", type=int, default=None, help="requests per hour")
        sub.add_parser("list", help="list the keys (never the keys themselves)")
        revoke = sub.add_parser("revoke", help="revoke a key by id or prefix")
        revoke.add_argument("key")

    def handle(self, *args, op: str, **opts) -> None:
        try:
            if op == "create":
                row, secret = actions.issue_key(
                    actor=_admin(),
                    name=opts["name"],
                    contact=opts["contact"],
                    rate_limit=opts["rate_limit"],
                )
                self.stdout.write(f"id {row.pk}, {row.name}, {row.rate_limit}/hour")
                self.stdout.write(secret)
            elif op == "list":
                for k in ApiKey.objects.order_by("id"):
                    state = "active" if k.active else "revoked"
                    used = k.last_used_at.isoformat() if k.last_used_at else "-"
                    self.stdout.write(
                        f"{k.pk}\t{k.prefix}…\t{state}\t{k.rate_limit}/h\t{used}\t{k.name}"
                    )
            else:
                raw = opts["key"]
                row = ApiKey.objects.filter(
                    **({"pk": int(raw)} if raw.isdigit() else {"prefix": raw})
                ).first()
                if row is None:
                    raise CommandError(f"no such key: {raw}")
                actions.revoke_key(row, actor=_admin())
                self.stdout.write(f"revoked {row.pk} {row.name}")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
