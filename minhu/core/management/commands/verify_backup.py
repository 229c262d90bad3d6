"""`minhu verify_backup DIR`: the restore drill — restore a backup into scratch space and compare
it with its manifest (row counts of every table, migrations, media files, checksums)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minhu.core.backup import verify_backup


class Command(BaseCommand):
    help = "恢复演练：把备份恢复到临时数据库并与清单核对（每张表的行数、迁移、上传文件、校验和）"

    def add_arguments(self, parser):
        parser.add_argument("src", help="a directory written by `minhu backup`")

    def handle(self, *args, **opts):
        report = verify_backup(Path(opts["src"]))
        if not report.ok:
            for p in report.problems:
                self.stderr.write(f"  {p}")
            raise CommandError(f"backup in {opts['src']} does NOT restore cleanly")
        self.stdout.write(
            f"backup in {opts['src']} restores: {report.tables} tables, {report.rows} rows, "
            f"{report.media_files} media files, all as backed up"
        )
