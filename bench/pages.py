"""Public pages: latency and database queries per request, in-process (no network).

Prints p50/p95 milliseconds and the query count for each page; a page whose query count grows
with the amount of content is a bug.
"""

import io
import time

from _setup import percentile, setup_django

REQUESTS = 200
PAGES = ["/", "/learn/", "/search/?q=辽海往事", "/accounts/login/", "/healthz"]


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("seed_demo", stdout=io.StringIO())
    client = Client()
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for path in PAGES:
        client.get(path)  # warm caches
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(
            f"{path:28} {percentile(timings, 0.5):8.1f} {percentile(timings, 0.95):8.1f} "
            f"{len(queries):8d}"
        )


if __name__ == "__main__":
    main()
