"""Restore a backup into this site's empty database and file stores (the README's runbook).

Refuses, changing nothing, when the database has rows or a store has files, unless --force.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backups import recovery, services
from core.backups.targets import open_target


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Restore a backup (its timestamp name, or latest) into an empty database and empty "
            "file stores."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("backup", metavar="BACKUP", help=_("a backup's name, or latest"))
        parser.add_argument(
            "--target",
            default="",
            help=_("a directory or s3://bucket/prefix (default: the BACKUP_TARGET setting)"),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("replace the database and the files that are there now (they are lost)"),
        )

    def handle(self, *args, **options) -> None:
        try:
            target = open_target(options["target"] or settings.BACKUP_TARGET)
            name = services.resolve_name(target=target, name=options["backup"])
            with services.backup_lock():
                result = recovery.restore_backup(target=target, name=name, force=options["force"])
        except (services.BackupError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup %(name)s restored: the database and %(objects)s files.")
                % {"name": result.name, "objects": result.objects}
            )
        )
        if result.replaced:
            self.stdout.write(
                _(
                    "What was there before was replaced. Restart the web and worker processes "
                    "and clear the page cache, so that nothing serves the old content."
                )
            )
