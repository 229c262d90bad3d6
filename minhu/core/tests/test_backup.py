"""The restore drill: a backup of the database and the media files restores into scratch space
with every table's rows and every file as they were (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from minhu.appeals import actions
from minhu.appeals.models import Appeal, AppealEvent, Attachment
from minhu.appeals.tests.factories import png, register
from minhu.core.backup import MANIFEST, MEDIA_ARCHIVE, BackupError, create_backup, verify_backup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    first = register(org, attachments=[png("a.png")])
    actions.dispatch(first, actor=org.dispatcher, lead_unit=org.street1)
    register(org, attachments=[png("b.png"), png("c.png")])
    register(org, subject="噪音扰民")
    return org


def _data_file(backup):
    return next(p for p in backup.iterdir() if p.name.startswith("database."))


def test_a_backup_restores_with_every_row_and_file(data, tmp_path):
    backup = tmp_path / "backup"
    manifest = create_backup(backup)
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["appeals_appeal"] == Appeal.objects.count() == 3
    assert manifest["tables"]["appeals_appealevent"] == AppealEvent.objects.count() > 3
    assert manifest["media"]["files"] == Attachment.objects.count() == 3
    assert manifest["migrations"]["appeals"].startswith("00")

    report = verify_backup(backup)
    assert report.ok, report.problems
    assert report.media_files == 3
    assert report.tables == len(manifest["tables"]) and report.rows == sum(
        manifest["tables"].values()
    )


def test_a_damaged_dump_is_caught_by_its_checksum(data, tmp_path):
    backup = tmp_path / "backup"
    create_backup(backup)
    dump = _data_file(backup)
    raw = bytearray(dump.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    dump.write_bytes(bytes(raw))
    report = verify_backup(backup)
    assert not report.ok
    assert any("checksum differs" in p for p in report.problems)


def test_rows_missing_after_restore_are_reported(data, tmp_path):
    backup = tmp_path / "backup"
    create_backup(backup)
    manifest = json.loads((backup / MANIFEST).read_text())
    manifest["tables"]["appeals_appeal"] += 1  # the restore holds one row fewer than claimed
    (backup / MANIFEST).write_text(json.dumps(manifest))
    report = verify_backup(backup)
    assert not report.ok
    assert "table appeals_appeal: 3 rows restored, 4 backed up" in report.problems


def test_media_that_do_not_match_are_reported(data, tmp_path, settings):
    backup = tmp_path / "backup"
    create_backup(backup)
    # Another archive (one file fewer), with a checksum that matches it: only the contents differ.
    next(p for p in (tmp_path / "media").rglob("*") if p.is_file()).unlink()
    other = tmp_path / "other"
    create_backup(other)
    (backup / MEDIA_ARCHIVE).write_bytes((other / MEDIA_ARCHIVE).read_bytes())
    manifest = json.loads((backup / MANIFEST).read_text())
    manifest["files"][MEDIA_ARCHIVE] = json.loads((other / MANIFEST).read_text())["files"][
        MEDIA_ARCHIVE
    ]
    (backup / MANIFEST).write_text(json.dumps(manifest))
    report = verify_backup(backup)
    assert not report.ok and report.media_files == 2
    assert any(p.startswith("media: 2 files restored, 3 backed up") for p in report.problems)


def test_commands_and_a_non_empty_destination(data, tmp_path, capsys):
    backup = tmp_path / "b"
    call_command("backup", str(backup))
    assert "3 media files" in capsys.readouterr().out
    call_command("verify_backup", str(backup))
    assert "all as backed up" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(backup))
    with pytest.raises(BackupError):
        create_backup(backup)
    (backup / MANIFEST).unlink()
    with pytest.raises(CommandError, match="does NOT restore"):
        call_command("verify_backup", str(backup))
