"""Rebuild the site search index from every app's sources (core.search).

Signals keep the index in step with saves; this puts right what they cannot see (changes made
with ``QuerySet.update()``, a reverse many-to-many clear, a restored database) and fills the
index after a new source is added.
"""

from django.core.management.base import BaseCommand, CommandError

from core import search
from core.models import SearchKind


class Command(BaseCommand):
    help = "Rebuild the site search index (every kind, or the kinds named)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kinds", nargs="*", metavar="KIND", help=", ".join(SearchKind.values))

    def handle(self, *args, **options) -> None:
        unknown = set(options["kinds"]) - set(SearchKind.values)
        if unknown:
            raise CommandError(f"unknown kinds: {', '.join(sorted(unknown))}")
        counts = search.rebuild(kinds=options["kinds"] or None)
        for kind, count in sorted(counts.items()):
            self.stdout.write(f"{kind}: {count}")
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {sum(counts.values())}"))
