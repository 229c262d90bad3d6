"""`minhu backup DIR`: back up the database and the media files (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minhu.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个新目录（含清单：各表行数与校验和）"

    def add_arguments(self, parser):
        parser.add_argument("dest", help="a new (or empty) directory")

    def handle(self, *args, **opts):
        try:
            manifest = create_backup(Path(opts["dest"]))
        except BackupError as e:
            raise CommandError(str(e))
        rows = sum(manifest["tables"].values())
        media = manifest["media"]
        self.stdout.write(
            f"backup written to {opts['dest']}: {manifest['engine']}, "
            f"{len(manifest['tables'])} tables, {rows} rows, "
            f"{media['files']} media files ({media['bytes']} bytes)"
        )
