"""`minhu serve`: the production start. Applies migrations, collects the static files, then
replaces itself with gunicorn serving minhu.wsgi with N preloaded sync workers.

    MINHU_DEBUG=0 MINHU_SECRET_KEY=... MINHU_ALLOWED_HOSTS=minhu.example.gov.cn \\
    DATABASE_URL=postgres://... MINHU_REDIS_URL=redis://127.0.0.1:6379/0 minhu serve

Environment: MINHU_BIND (127.0.0.1:8000), MINHU_WORKERS (2 x cores + 1), MINHU_TIMEOUT (30 s).
"""

from __future__ import annotations

import os
import shutil
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Migrate, collect static files and serve with gunicorn (production start)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("MINHU_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("MINHU_WORKERS", default_workers()))
        )
        parser.add_argument(
            "--timeout", type=int, default=int(os.environ.get("MINHU_TIMEOUT", "30"))
        )
        parser.add_argument("--no-migrate", action="store_true", help="skip `migrate`")
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the gunicorn command instead of running it",
        )

    def handle(self, *args, **opts):
        if settings.DEBUG:
            self.stderr.write(
                "warning: MINHU_DEBUG is on; set MINHU_DEBUG=0 (and MINHU_SECRET_KEY, "
                "MINHU_ALLOWED_HOSTS) in production"
            )
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if not opts["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed (pip install -r requirements.txt)")
        argv = [
            gunicorn,
            "minhu.wsgi:application",
            "--bind", opts["bind"],
            "--workers", str(opts["workers"]),
            "--timeout", str(opts["timeout"]),
            "--graceful-timeout", "20",
            "--preload",
            # Recycle workers now and then (bounded memory growth), not all at once.
            "--max-requests", "2000",
            "--max-requests-jitter", "200",
            "--access-logfile", "-",
            "--error-logfile", "-",
            "--forwarded-allow-ips", os.environ.get("MINHU_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]  # fmt: skip
        if opts["dry_run"]:
            self.stdout.write(" ".join(argv))
            return
        self.stdout.write(f"Minhu serving on http://{opts['bind']}/ with {opts['workers']} workers")
        self.stdout.flush()
        env = {**os.environ, "MINHU_WARM_UP": os.environ.get("MINHU_WARM_UP", "1")}
        env.setdefault("DJANGO_SETTINGS_MODULE", "minhu.settings")
        os.execve(gunicorn, argv, env)
