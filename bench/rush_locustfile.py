"""The readers of bench/rush.py, for locust (run by it; see there).

Each simulated reader does their journey once and then waits out the run, from an address of
their own (sent as X-Forwarded-For, as the library's proxy would, so that per-address limits
count readers):

* ``EventRusher``: the home page and the event as a visitor, signs in, books the event;
* ``RoomBooker``: signs in, opens a room's day, books a free slot;
* ``LessonWatcher``: signs in, opens a lesson, reports watching it (the learning API).

A refusal in words (the event full, a slot just taken) counts as an answer, not a failure; the
bench checks in the database afterwards who got a place.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid

from locust import FastHttpUser, task

EVENT = int(os.environ["RUSH_EVENT"])
EVENT_URL = f"/booking/events/{EVENT}/"
LESSONS = json.loads(os.environ["RUSH_LESSONS"])  # [[page id, url], ...]
ROOMS = json.loads(os.environ["RUSH_ROOMS"])  # [[slug, "YYYY-MM-DD"], ...]
PASSWORD = os.environ["RUSH_PASSWORD"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT = re.compile(r'name="start" id="slot-\d+" value="([^"]+)"')

_numbers: dict[str, int] = {}


def _next(kind: str) -> int:
    _numbers[kind] = _numbers.get(kind, 0) + 1
    return _numbers[kind]


class Reader(FastHttpUser):
    abstract = True
    kind = ""
    done = False

    def wait_time(self) -> float:
        # A second or so between pages; once the journey is done, nothing more.
        return 3600.0 if self.done else random.uniform(0.5, 2)

    def on_start(self) -> None:
        self.number = _next(self.kind)
        self.address = (
            f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        )

    def get(self, path: str, name: str):
        return self.client.get(path, name=name, headers={"X-Forwarded-For": self.address})

    def form(self, path: str, fields: dict, name: str, *, page: str, accepted: tuple) -> int:
        """Send a form as a browser would from ``page``; a status outside ``accepted`` fails."""
        with self.client.post(
            path,
            data=fields,
            headers={"X-Forwarded-For": self.address, "Referer": self.host + page},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in accepted:
                response.success()
            else:
                response.failure(f"{name} answered {response.status_code}")
            return response.status_code

    def token(self, html: str) -> str:
        found = TOKEN.search(html)
        return found.group(1) if found else ""

    def sign_in(self) -> bool:
        self.done = True
        page = self.get("/accounts/login/", "sign-in page")
        fields = {
            "login": f"{self.kind}-{self.number}@rush.liaotu.cn",
            "password": PASSWORD,
            "csrfmiddlewaretoken": self.token(page.text or ""),
        }
        status = self.form("/accounts/login/", fields, "sign in", page="/accounts/login/",
                           accepted=(302,))  # fmt: skip
        return status == 302


class EventRusher(Reader):
    weight = 300
    kind = "rusher"

    @task
    def rush(self) -> None:
        self.done = True
        self.get("/", "home (visitor)")
        self.get(EVENT_URL, "event (visitor)")
        if not self.sign_in():
            return
        page = self.get(EVENT_URL, "event (signed in)")
        # Given (to the booking) or refused as full (back to the event, in words): both 302.
        self.form(f"{EVENT_URL}book/", {"csrfmiddlewaretoken": self.token(page.text or "")},
                  "book event", page=EVENT_URL, accepted=(302,))  # fmt: skip
        return


class RoomBooker(Reader):
    weight = 50
    kind = "room"

    @task
    def book_room(self) -> None:
        if not self.sign_in():
            return
        slug, day = ROOMS[self.number % len(ROOMS)]
        page = self.get(f"/booking/r/{slug}/?date={day}", "room day")
        slots = SLOT.findall(page.text or "")
        if slots:
            fields = {
                "csrfmiddlewaretoken": self.token(page.text or ""),
                "start": random.choice(slots),
                "duration": "60",
            }
            # A slot taken a moment earlier by another reader is refused in words (400, 409).
            self.form(f"/booking/r/{slug}/book/", fields, "book room", page=f"/booking/r/{slug}/",
                      accepted=(302, 400, 409))  # fmt: skip
        return


class LessonWatcher(Reader):
    weight = 20
    kind = "watcher"

    @task
    def watch(self) -> None:
        if not self.sign_in():
            return
        lesson, url = LESSONS[self.number % len(LESSONS)]
        page = self.get(url, "lesson (signed in)")
        token = re.search(r'data-csrf="([^"]+)"', page.text or "")
        address = re.search(r'data-progress-url="([^"]+)"', page.text or "")
        events = [{"id": str(uuid.uuid4()), "lesson": lesson, "kind": "view", "data": {}}]
        events += [
            {"id": str(uuid.uuid4()), "lesson": lesson, "kind": "heartbeat", "data": {}}
            for _ in range(3)
        ]
        self.client.post(
            address.group(1) if address else "/api/v1/me/progress/",
            data=json.dumps({"events": events}),
            headers={
                "X-Forwarded-For": self.address,
                "Content-Type": "application/json",
                "X-CSRFToken": token.group(1) if token else "",
                "Referer": self.host + url,
            },
            name="lesson progress",
        )
        return
