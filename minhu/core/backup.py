"""Backups of the database and the uploaded files, and the check that a backup restores.

`create_backup(dest)` writes into a new directory:

- `database.dump` (PostgreSQL, `pg_dump -Fc`) or `database.sqlite3` (SQLite's online backup API);
- `media.tar.gz`: every file under MEDIA_ROOT (attachments, photos), names relative to it;
- `manifest.json`: when, which engine, the newest migration of every app, the row count of every
  table **in the same snapshot as the dump** (PostgreSQL: the dump runs on a snapshot exported by
  the transaction that counted), the media files' count, bytes and digest, and each file's sha256.

`verify_backup(src)` is the restore drill: it checks the files' sha256, restores the dump into a
scratch database (PostgreSQL: a new database on the same server, dropped afterwards; SQLite: a
copy, `PRAGMA integrity_check`), counts every table there and compares with the manifest, and
unpacks the media archive and compares its digest. docs/operations.md says how to restore for real.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT = 1


class BackupError(Exception):
    pass


@dataclass
class VerifyReport:
    ok: bool
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    problems: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tables() -> list[str]:
    names = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def _count(cursor, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for t in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(t)}")  # noqa: S608 (names from the models)
        counts[t] = cursor.fetchone()[0]
    return counts


def _migrations(cursor) -> dict[str, str]:
    cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def _pg_params() -> dict:
    """psycopg connection parameters of the configured database (without the name)."""
    s = connection.settings_dict
    return {
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or None,
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
    }


def _pg_run(tool: str, *args: str) -> subprocess.CompletedProcess:
    """Run pg_dump/pg_restore against the configured server."""
    s = connection.settings_dict
    conn = ["-h", s.get("HOST") or "127.0.0.1", "-U", s.get("USER") or "postgres"]
    if s.get("PORT"):
        conn += ["-p", str(s["PORT"])]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return subprocess.run(
        [_pg_tool(tool), *conn, "--no-owner", "--no-acl", *args],
        env=env,
        capture_output=True,
        text=True,
    )


def _pg_tool(name: str) -> str:
    pg_bin = os.environ.get("PG_BIN")
    if pg_bin and (Path(pg_bin) / name).exists():
        return str(Path(pg_bin) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (apt-get install postgresql-client)")
    return found


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def _media_digest(entries: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, digest in sorted(entries):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def _archive_media(dest: Path) -> dict:
    root = Path(settings.MEDIA_ROOT)
    entries, size = [], 0
    with tarfile.open(dest / MEDIA_ARCHIVE, "w:gz") as tar:
        for p in _media_files(root):
            rel = p.relative_to(root).as_posix()
            tar.add(p, arcname=rel, recursive=False)
            entries.append((rel, _sha256(p)))
            size += p.stat().st_size
    return {"files": len(entries), "bytes": size, "digest": _media_digest(entries)}


def create_backup(dest: Path) -> dict:
    """Back up the database and the media files into the new directory `dest`; returns the
    manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    tables = _tables()
    quote = connection.ops.quote_name
    manifest: dict = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "engine": connection.vendor,
    }
    if connection.vendor == "postgresql":
        # Count and dump in one snapshot: the counting transaction exports it and stays open
        # while pg_dump runs on it, so the counts are exactly what the dump holds.
        import psycopg

        name = connection.settings_dict["NAME"]
        with psycopg.connect(dbname=name, **_pg_params()) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            with conn.cursor() as cur:
                counts = _count(cur, tables, quote)
                migrations = _migrations(cur)
            done = _pg_run(
                "pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(dest / PG_DUMP), name
            )
            conn.execute("COMMIT")
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        files = [PG_DUMP]
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(dest / SQLITE_COPY)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        # Counted in the copy itself: the copy is one consistent state.
        copy = sqlite3.connect(dest / SQLITE_COPY)
        try:
            cur = copy.cursor()
            counts = _count(cur, tables, quote)
            migrations = _migrations(cur)
        finally:
            copy.close()
        files = [SQLITE_COPY]
    else:
        raise BackupError(f"unsupported database: {connection.vendor}")
    manifest["media"] = _archive_media(dest)
    files.append(MEDIA_ARCHIVE)
    manifest["tables"] = counts
    manifest["migrations"] = migrations
    manifest["files"] = {name: _sha256(dest / name) for name in files}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _compare(report: VerifyReport, manifest: dict, counts: dict, migrations: dict) -> None:
    for table, expected in manifest["tables"].items():
        got = counts.get(table)
        if got is None:
            report.problems.append(f"table {table} missing after restore")
        elif got != expected:
            report.problems.append(f"table {table}: {got} rows restored, {expected} backed up")
    if migrations != manifest["migrations"]:
        report.problems.append("migration state differs after restore")
    report.tables = len(counts)
    report.rows = sum(counts.values())


def _restore_postgres(src: Path, manifest: dict, report: VerifyReport) -> None:
    import psycopg

    scratch = f"minhu_restore_{secrets.token_hex(4)}"
    params = _pg_params()
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        done = _pg_run("pg_restore", "--exit-on-error", "-d", scratch, str(src / PG_DUMP))
        if done.returncode != 0:
            report.problems.append(f"pg_restore failed: {done.stderr.strip()[:500]}")
            return
        with psycopg.connect(dbname=scratch, **params) as conn, conn.cursor() as cur:
            counts = _count(cur, list(manifest["tables"]), connection.ops.quote_name)
            migrations = _migrations(cur)
        _compare(report, manifest, counts, migrations)
    except psycopg.Error as e:
        report.problems.append(f"restored database unreadable: {e}")
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _restore_sqlite(src: Path, manifest: dict, report: VerifyReport, work: Path) -> None:
    copy = work / "restored.sqlite3"
    shutil.copyfile(src / SQLITE_COPY, copy)
    conn = sqlite3.connect(copy)
    try:
        status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            report.problems.append(f"integrity check: {status}")
            return
        cur = conn.cursor()
        counts = _count(cur, list(manifest["tables"]), connection.ops.quote_name)
        migrations = _migrations(cur)
        _compare(report, manifest, counts, migrations)
    except sqlite3.DatabaseError as e:
        report.problems.append(f"restored database unreadable: {e}")
    finally:
        conn.close()


def _verify_media(src: Path, manifest: dict, report: VerifyReport, work: Path) -> None:
    out = work / "media"
    out.mkdir()
    with tarfile.open(src / MEDIA_ARCHIVE, "r:gz") as tar:
        tar.extractall(out, filter="data")
    entries = [(p.relative_to(out).as_posix(), _sha256(p)) for p in _media_files(out)]
    report.media_files = len(entries)
    expected = manifest["media"]
    if len(entries) != expected["files"] or _media_digest(entries) != expected["digest"]:
        report.problems.append(
            f"media: {len(entries)} files restored, {expected['files']} backed up, or contents differ"
        )


def verify_backup(src: Path) -> VerifyReport:
    """Restore the backup in `src` into scratch space and compare it with its manifest."""
    src = Path(src)
    report = VerifyReport(ok=False)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        report.problems.append(f"manifest unreadable: {e}")
        return report
    if manifest.get("format") != FORMAT:
        report.problems.append(f"unknown backup format {manifest.get('format')!r}")
        return report
    for name, digest in manifest["files"].items():
        path = src / name
        if not path.exists():
            report.problems.append(f"{name} missing")
        elif _sha256(path) != digest:
            report.problems.append(f"{name}: checksum differs (damaged or altered)")
    if report.problems:
        return report
    if manifest["engine"] != connection.vendor:
        report.problems.append(
            f"backup of {manifest['engine']}; verify it with a {manifest['engine']} configuration"
        )
        return report
    with tempfile.TemporaryDirectory(prefix="minhu-restore-") as tmp:
        work = Path(tmp)
        if manifest["engine"] == "postgresql":
            _restore_postgres(src, manifest, report)
        else:
            _restore_sqlite(src, manifest, report, work)
        _verify_media(src, manifest, report, work)
    report.ok = not report.problems
    return report
