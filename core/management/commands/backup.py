"""Back up the database and both file stores, encrypted, into a directory or an S3 bucket.

Thin: ``core.backups.services`` does the work (and says why it is done that way); the
restore runbook is in the README.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backups import retention, services
from core.backups.targets import add_target_arguments, target_from


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Back up the database and both file stores (encrypted, incremental) into a "
            "directory or s3://bucket/prefix."
        )

    def add_arguments(self, parser) -> None:
        add_target_arguments(parser, named_backup=False)
        parser.add_argument(
            "--rehash",
            action="store_true",
            help=_("read every file again instead of trusting the last backup's record of it"),
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help=_("then delete the backups the BACKUP_KEEP_* schedule no longer keeps"),
        )

    def handle(self, *args, **options) -> None:
        try:
            target = target_from(options)
            with services.backup_lock():
                result = services.create_backup(target=target, rehash=options["rehash"])
                pruned = retention.prune_backups(target=target) if options["prune"] else None
        except (services.BackupError, ValueError) as error:
            raise CommandError(str(error)) from error
        for vanished in result.vanished:
            self.stderr.write(
                _("%(key)s was deleted while the backup ran; it is not in it.") % {"key": vanished}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup %(name)s written to %(target)s: %(objects)s files "
                    "(%(copied)s new, %(bytes)s bytes copied), database dump %(dump)s bytes."
                )
                % {
                    "name": result.name,
                    "target": result.target,
                    "objects": result.objects,
                    "copied": result.copied,
                    "bytes": result.copied_bytes,
                    "dump": result.database_bytes,
                }
            )
        )
        if pruned is not None:
            self.stdout.write(
                _("Pruned: %(deleted)s backups and %(blobs)s unneeded files deleted.")
                % {"deleted": len(pruned.deleted), "blobs": pruned.blobs_deleted}
            )
