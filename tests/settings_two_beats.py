"""The test settings with the beat's housekeeping due every second, for tests/test_two_beats.py.

Only the tasks whose double run could do visible harm are scheduled: reminders (a reader told
twice), no-shows (released twice, a suspension counted twice) and the media reconciliation
(an asset processed twice).
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BEAT_SCHEDULE

FAST = ("booking-send-reminders", "booking-release-no-shows", "media-requeue-stalled")
CELERY_BEAT_SCHEDULE = {name: {**CELERY_BEAT_SCHEDULE[name], "schedule": 1.0} for name in FAST}
