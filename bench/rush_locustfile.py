"""The readers of bench/rush.py, for locust (run by it; see there).

Each simulated reader does their journey once, from an address of their own (sent as
X-Forwarded-For, as the library's proxy would, so that per-address limits count readers):

* ``EventRusher``: the home page and the event as a visitor, signs in, books the event;
* ``RoomBooker``: signs in, opens a room's day, books a free slot;
* ``LessonWatcher``: signs in, opens a lesson, reports watching it (the learning API).

Outcomes are named in the request names ("book event: given" / "book event: full"), and the
bench checks the database afterwards.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid

from locust import FastHttpUser, between, task
from locust.exception import StopUser

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
    wait_time = between(0.5, 2)
    kind = ""

    def on_start(self) -> None:
        self.number = _next(self.kind)
        self.address = (
            f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        )

    def get(self, path: str, name: str):
        return self.client.get(path, name=name, headers={"X-Forwarded-For": self.address})

    def post(self, path: str, data: dict, name: str, **kwargs):
        headers = {"X-Forwarded-For": self.address, "Referer": self.host + path}
        headers.update(kwargs.pop("headers", {}))
        return self.client.post(path, data=data, name=name, headers=headers, **kwargs)

    def token(self, html: str) -> str:
        found = TOKEN.search(html)
        return found.group(1) if found else ""

    def sign_in(self) -> bool:
        page = self.get("/accounts/login/", "sign-in page")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": f"{self.kind}-{self.number}@rush.liaotu.cn",
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.token(page.text or ""),
            },
            headers={"X-Forwarded-For": self.address, "Referer": self.host + "/accounts/login/"},
            name="sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")
                return False
            response.success()
        return True


class EventRusher(Reader):
    weight = 300
    kind = "rusher"

    @task
    def rush(self) -> None:
        self.get("/", "home (visitor)")
        self.get(EVENT_URL, "event (visitor)")
        if not self.sign_in():
            raise StopUser
        page = self.get(EVENT_URL, "event (signed in)")
        with self.client.post(
            f"{EVENT_URL}book/",
            data={"csrfmiddlewaretoken": self.token(page.text or "")},
            headers={"X-Forwarded-For": self.address, "Referer": self.host + EVENT_URL},
            name="book event",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            where = response.headers.get("Location", "")
            if response.status_code == 302 and "/booking/b/" in where:
                response.success()
            elif response.status_code in (302, 400, 409):
                response.success()  # full: refused in words, as it should be
            else:
                response.failure(f"booking answered {response.status_code}")
        raise StopUser


class RoomBooker(Reader):
    weight = 50
    kind = "room"

    @task
    def book_room(self) -> None:
        if not self.sign_in():
            raise StopUser
        slug, day = ROOMS[self.number % len(ROOMS)]
        page = self.get(f"/booking/r/{slug}/?date={day}", "room day")
        slots = SLOT.findall(page.text or "")
        if slots:
            start = random.choice(slots)
            with self.client.post(
                f"/booking/r/{slug}/book/",
                data={
                    "csrfmiddlewaretoken": self.token(page.text or ""),
                    "start": start,
                    "duration": "60",
                },
                headers={
                    "X-Forwarded-For": self.address,
                    "Referer": self.host + f"/booking/r/{slug}/",
                },
                name="book room",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                # A slot taken a moment earlier by another reader is refused in words (400).
                if response.status_code in (302, 400):
                    response.success()
                else:
                    response.failure(f"room booking answered {response.status_code}")
        raise StopUser


class LessonWatcher(Reader):
    weight = 20
    kind = "watcher"

    @task
    def watch(self) -> None:
        if not self.sign_in():
            raise StopUser
        lesson, url = LESSONS[self.number % len(LESSONS)]
        page = self.get(url, "lesson (signed in)")
        token = re.search(r'data-csrf="([^"]+)"', page.text or "")
        events = [{"id": str(uuid.uuid4()), "lesson": lesson, "kind": "view", "data": {}}]
        events += [
            {"id": str(uuid.uuid4()), "lesson": lesson, "kind": "heartbeat", "data": {}}
            for _ in range(3)
        ]
        self.client.post(
            "/api/v1/learning/progress/",
            data=json.dumps({"events": events}),
            headers={
                "X-Forwarded-For": self.address,
                "Content-Type": "application/json",
                "X-CSRFToken": token.group(1) if token else "",
                "Referer": self.host + url,
            },
            name="lesson progress",
        )
        raise StopUser
