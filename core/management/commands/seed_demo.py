"""Load the demo content. Safe to run again: it updates what it made before.

Each app that has demo content provides ``<app>/demo.py`` with a ``seed()`` function returning
lines to print; they run in INSTALLED_APPS order, so pages can link to what earlier apps made.
A module that sets ``SEED_LAST = True`` (demo activity over everyone's content) runs after all.
"""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load realistic Chinese demo content and one account per role (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--only",
            nargs="+",
            metavar="APP",
            help="load only these apps' demo content (for example: accounts cms)",
        )

    def handle(self, *args, **options) -> None:
        only = set(options["only"] or [])
        modules = []
        for config in apps.get_app_configs():
            if only and config.label not in only:
                continue
            module_name = f"{config.name}.demo"
            # The project's own apps (``core.insight`` lives in core/insight/).
            top = settings.BASE_DIR / config.name.split(".")[0]
            if Path(config.path).is_relative_to(top) and find_spec(module_name):
                modules.append((config.label, import_module(module_name)))
        modules.sort(key=lambda found: getattr(found[1], "SEED_LAST", False))
        for label, module in modules:
            with transaction.atomic():
                lines = module.seed() or []
            self.stdout.write(self.style.SUCCESS(f"[{label}] demo content loaded"))
            for line in lines:
                self.stdout.write(f"  {line}")
        # Demo rows are often made with bulk writes that send no signals: index them all.
        from core import search

        counts = search.rebuild()
        self.stdout.write(self.style.SUCCESS(f"[search] {sum(counts.values())} entries indexed"))
