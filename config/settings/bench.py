"""The benchmarks' server (bench/throughput.py, bench/rush.py): `make run`'s settings with a
trivial view beside the site, to measure every page against the same machine's ceiling."""

from .dev import *  # noqa: F403

ROOT_URLCONF = "config.bench_urls"
