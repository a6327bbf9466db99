"""Restore a backup into this site's empty database and file stores (the README's runbook).

Refuses, changing nothing, when the database has rows or a store has files, unless --force.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backups import recovery, services
from core.backups.targets import add_target_arguments, target_from


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Restore a backup (its timestamp name, or latest) into an empty database and empty "
            "file stores."
        )

    def add_arguments(self, parser) -> None:
        add_target_arguments(parser, named_backup=True)
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("replace the database and the files that are there now (they are lost)"),
        )

    def handle(self, *args, **options) -> None:
        try:
            target = target_from(options)
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
