"""The readers, makers and technician of bench/chaos.py, for locust (run by it; see there).

Everyone goes through nginx over TLS, from a loopback address of their own (127.x.y.z), so that
nginx, and through X-Forwarded-For the web nodes, see one address per person:

* ``Visitor``: browses pages, the event and the maker space without signing in;
* ``EventBooker``: signs in and books the popular event once, then browses;
* ``Uploader``: signs in and uploads a recording by tus, three chunks per file, three files;
  a chunk that fails is not sent blindly again: the client asks HEAD where the upload stands
  and goes on from there (through nginx the retry reaches whichever node is alive);
* ``Maker``: signs in, sends G-code by the print form, confirms the estimate, follows the job;
* ``Technician``: approves what makers confirmed and clears printers when prints end.

A request that a node's death cut short (a 502, or no answer) is tried again as a person would:
the tus client by HEAD, the others by sending the form again, and the server's own rules
decide (a second booking is refused). Each request is also written to CHAOS_REQUESTS (start,
time, name, status) and each journey's outcome to CHAOS_OUTCOMES, for the report.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import time

from locust import HttpUser, events, task
from requests.adapters import HTTPAdapter

EVENT = int(os.environ["CHAOS_EVENT"])
EVENT_URL = f"/booking/events/{EVENT}/"
PAGES = json.loads(os.environ["CHAOS_PAGES"])
PASSWORD = os.environ["CHAOS_PASSWORD"]
CA = os.environ["CHAOS_CA"]
WAV = os.environ["CHAOS_WAV"]
CHUNK = int(os.environ["CHAOS_CHUNK"])
PROFILE = os.environ["CHAOS_PROFILE"]
UPLOADS_EACH = 3
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVIEW = re.compile(r'action="/makerspace/farm/jobs/([0-9a-f-]{36})/review/"')
CLEARED = re.compile(r'action="/makerspace/farm/printers/(\d+)/cleared/"')
JOB = re.compile(r"/makerspace/jobs/([0-9a-f-]{36})/")
# What a node's death looks like to a client: no answer, or nginx's 502/503/504.
CUT_SHORT = (0, 500, 502, 503, 504)

_requests = open(os.environ["CHAOS_REQUESTS"], "a", buffering=1)  # noqa: SIM115 - for the run
_outcomes = open(os.environ["CHAOS_OUTCOMES"], "a", buffering=1)  # noqa: SIM115
_numbers: dict[str, int] = {}
_wav: list[bytes] = []


@events.request.add_listener
def _record(request_type, name, response_time, response=None, exception=None, start_time=None,
            **kwargs) -> None:  # fmt: skip
    status = getattr(response, "status_code", 0) or 0
    started = start_time or time.time() - response_time / 1000
    failed = 1 if exception else 0
    _requests.write(f"{started:.3f}\t{response_time:.1f}\t{request_type}\t{name}\t{status}\t"
                    f"{failed}\n")  # fmt: skip


def outcome(**fields) -> None:
    _outcomes.write(json.dumps(fields) + "\n")


def _next(kind: str) -> int:
    _numbers[kind] = _numbers.get(kind, 0) + 1
    return _numbers[kind]


def recording() -> bytes:
    if not _wav:
        with open(WAV, "rb") as handle:
            _wav.append(handle.read())
    return _wav[0]


def gcode(n: int) -> bytes:
    moves = "".join(f"G1 X{(i * 7 + n) % 50} Y{(i * 3) % 40} F3000\n" for i in range(150))
    return f"; estimated printing time (normal mode) = 2m\nG28\n{moves}M84\n".encode()


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (all of 127.0.0.0/8 is this machine)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Person(HttpUser):
    abstract = True
    kind = ""
    done = False
    signed_in = False

    def wait_time(self) -> float:
        return random.uniform(1, 3)

    def on_start(self) -> None:
        self.number = _next(self.kind)
        self.address = (
            f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        )
        self.client.mount("https://", SourceAddress(self.address))
        self.client.verify = CA

    @property
    def email(self) -> str:
        return f"{self.kind}-{self.number}@chaos.liaotu.cn"

    def get(self, path: str, name: str):
        """A page; one cut short is asked again once (as a reader reloads)."""
        response = self.client.get(path, name=name)
        if response.status_code in CUT_SHORT:
            time.sleep(1)
            response = self.client.get(path, name=name)
        return response

    def send(self, method: str, path: str, *, name: str, accepted: tuple, page: str = "/",
             attempts: int = 4, **kwargs):  # fmt: skip
        """A form or API request; cut short, it is sent again (up to ``attempts`` times)."""
        headers = {"Referer": self.host + page, **kwargs.pop("headers", {})}
        for attempt in range(attempts):
            with self.client.request(method, path, name=name, headers=headers,
                                     allow_redirects=False, catch_response=True,
                                     **kwargs) as response:  # fmt: skip
                if response.status_code in accepted:
                    response.success()
                    return response
                response.failure(f"{name} answered {response.status_code}")
            if response.status_code not in CUT_SHORT or attempt == attempts - 1:
                return response
            time.sleep(1)
        raise ValueError("attempts must be at least 1")

    def token(self, html: str) -> str:
        found = TOKEN.search(html or "")
        return found.group(1) if found else ""

    def sign_in(self) -> bool:
        page = self.get("/accounts/login/", "sign-in page")
        fields = {"login": self.email, "password": PASSWORD,
                  "csrfmiddlewaretoken": self.token(page.text)}  # fmt: skip
        response = self.send("POST", "/accounts/login/", data=fields, name="sign in",
                             page="/accounts/login/", accepted=(302,))  # fmt: skip
        self.signed_in = response.status_code == 302
        return self.signed_in

    def browse(self) -> None:
        path = random.choice([*PAGES, EVENT_URL])
        self.get(path, "page (signed in)" if self.signed_in else "page (visitor)")


class Visitor(Person):
    fixed_count = 8
    kind = "visitor"

    @task
    def look(self) -> None:
        self.browse()


class EventBooker(Person):
    fixed_count = 36
    kind = "booker"

    @task
    def act(self) -> None:
        if self.done:
            self.browse()
            return
        self.done = True
        self.get(EVENT_URL, "event (visitor)")
        if not self.sign_in():
            outcome(kind="booking", user=self.email, given=False, statuses=["no sign-in"])
            return
        page = self.get(EVENT_URL, "event (signed in)")
        # Given: to the booking's page. Refused (full, or booked already by a first try whose
        # answer was lost): back to the event, in words. Both are 302.
        response = self.send("POST", f"{EVENT_URL}book/", name="book event", page=EVENT_URL,
                             data={"csrfmiddlewaretoken": self.token(page.text)},
                             accepted=(302,))  # fmt: skip
        given = "/booking/b/" in response.headers.get("Location", "")
        outcome(kind="booking", user=self.email, given=given, status=response.status_code)


class Uploader(Person):
    fixed_count = 6
    kind = "uploader"
    uploads = 0

    def wait_time(self) -> float:
        return 3600.0 if self.uploads >= UPLOADS_EACH else random.uniform(4, 10)

    @task
    def act(self) -> None:
        if not self.signed_in and not self.sign_in():
            outcome(kind="upload", user=self.email, complete=False, reason="no sign-in")
            self.uploads = UPLOADS_EACH
            return
        self.uploads += 1
        self.upload(self.uploads)

    def tus(self, method: str, path: str, *, name: str, accepted: tuple, **kwargs):
        headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": self.client.cookies.get("csrftoken"),
                   **kwargs.pop("headers", {})}  # fmt: skip
        return self.send(method, path, name=name, accepted=accepted, headers=headers,
                         attempts=1, **kwargs)  # fmt: skip

    def offset(self, location: str) -> int | None:
        """Where the upload stands, by HEAD (asked again while nodes are in turmoil)."""
        for _attempt in range(10):
            response = self.tus("HEAD", location, name="tus HEAD", accepted=(200,))
            if response.status_code == 200:
                return int(response.headers["Upload-Offset"])
            time.sleep(1)
        return None

    def upload(self, n: int) -> None:
        data = recording()
        filename = base64.b64encode(f"chaos-{self.number}-{n}.wav".encode()).decode()
        created = None
        for _attempt in range(4):
            created = self.tus("POST", "/files/uploads/", name="tus create", accepted=(201,),
                               headers={"Upload-Length": str(len(data)),
                                        "Upload-Metadata": f"filename {filename}"})  # fmt: skip
            if created.status_code not in CUT_SHORT:
                break
            time.sleep(1)
        if created is None or created.status_code != 201:
            outcome(kind="upload", user=self.email, complete=False,
                    reason=f"create answered {getattr(created, 'status_code', 0)}")  # fmt: skip
            return
        location = created.headers["Location"]
        offset, retries = 0, 0
        while offset is not None and offset < len(data) and retries <= 8:
            response = self.tus(
                "PATCH", location, name="tus PATCH chunk", accepted=(204,),
                data=data[offset : offset + CHUNK],
                headers={"Upload-Offset": str(offset),
                         "Content-Type": "application/offset+octet-stream"},
            )  # fmt: skip
            if response.status_code == 204:
                offset = int(response.headers["Upload-Offset"])
                continue
            # Cut short (or refused as busy or at the wrong offset): ask, then go on from there.
            retries += 1
            time.sleep(1)
            offset = self.offset(location)
        upload_id = location.rstrip("/").rsplit("/", 1)[-1]
        outcome(kind="upload", user=self.email, upload=upload_id,
                complete=offset == len(data), retries=retries)  # fmt: skip


class Maker(Person):
    fixed_count = 5
    kind = "maker"

    @task
    def act(self) -> None:
        if self.done:
            if self.job_url:
                self.get(self.job_url, "print job page")
            else:
                self.browse()
            return
        self.done, self.job_url = True, ""
        if not self.sign_in():
            outcome(kind="print", user=self.email, job="", confirmed=False)
            return
        page = self.get("/makerspace/print/", "print form")
        fields = {"csrfmiddlewaretoken": self.token(page.text), "title": f"chaos {self.number}",
                  "profile": PROFILE, "material": "PLA", "colour": "", "quantity": "1",
                  "notes": ""}  # fmt: skip
        files = {"file": (f"chaos-{self.number}.gcode", gcode(self.number), "text/x-gcode")}
        sent = self.send("POST", "/makerspace/print/", name="print form send", data=fields,
                         files=files, page="/makerspace/print/", accepted=(302,))  # fmt: skip
        found = JOB.search(sent.headers.get("Location", ""))
        if not found:
            outcome(kind="print", user=self.email, job="", confirmed=False)
            return
        self.job_url = f"/makerspace/jobs/{found.group(1)}/"
        page = self.get(self.job_url, "print job page")
        confirmed = self.send("POST", f"{self.job_url}confirm/", name="print confirm",
                              data={"csrfmiddlewaretoken": self.token(page.text)},
                              page=self.job_url, accepted=(302,))  # fmt: skip
        outcome(kind="print", user=self.email, job=found.group(1),
                confirmed=confirmed.status_code == 302)  # fmt: skip


class Technician(Person):
    fixed_count = 1
    kind = "technician"

    def wait_time(self) -> float:
        return 2.0

    @task
    def act(self) -> None:
        if not self.signed_in and not self.sign_in():
            return
        page = self.get("/makerspace/farm/", "farm")
        token = self.token(page.text)
        for job in sorted(set(REVIEW.findall(page.text or ""))):
            self.send("POST", f"/makerspace/farm/jobs/{job}/review/", name="approve",
                      data={"csrfmiddlewaretoken": token, "decision": "approve",
                            "priority": "0"},
                      page="/makerspace/farm/", accepted=(302,))  # fmt: skip
        for printer in sorted(set(CLEARED.findall(page.text or ""))):
            self.send("POST", f"/makerspace/farm/printers/{printer}/cleared/",
                      name="printer cleared", data={"csrfmiddlewaretoken": token},
                      page="/makerspace/farm/", accepted=(302,))  # fmt: skip
