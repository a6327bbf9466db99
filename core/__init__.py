"""Site-wide plumbing: health checks, display and language preferences, task helpers and
HTML sanitising."""
