from django.core.management.base import BaseCommand

from media.storage import ensure_buckets


class Command(BaseCommand):
    help = "Create the public and private buckets if they are missing (also runs after migrate)."

    def handle(self, *args, **options) -> None:
        created = ensure_buckets()
        self.stdout.write(f"created: {', '.join(created)}" if created else "buckets present")
