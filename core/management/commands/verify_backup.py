"""Check that a backup would restore: every file present, opening and matching its manifest,
and the database dump readable by pg_restore. Exits with status 1 listing what is wrong.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backups import recovery, services
from core.backups.targets import add_target_arguments, target_from


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Verify a backup: decrypt its manifest, dump and every file and compare them with "
            "the manifest."
        )

    def add_arguments(self, parser) -> None:
        add_target_arguments(parser, named_backup=True)

    def handle(self, *args, **options) -> None:
        try:
            target = target_from(options)
            name = services.resolve_name(target=target, name=options["backup"])
            report = recovery.verify_backup(target=target, name=name)
        except (services.BackupError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(
                _("Backup %(name)s has %(count)s problems; it may not restore.")
                % {"name": name, "count": len(report.problems)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup %(name)s is sound: the database dump and %(objects)s files check out.")
                % {"name": name, "objects": report.objects}
            )
        )
