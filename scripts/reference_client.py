#!/usr/bin/env python3
"""A reference client of the Liaotu Commons API, as the library's app would use it.

It knows only the published documents: the API's OpenAPI schema (operations are found by their
``operationId``) and allauth's headless sign-in. With plain httpx it signs in with an app token,
books a room, enrols in a course, records progress on its first lesson and uploads a work by
tus, printing each step. Run it against any site:

    scripts/reference_client.py http://127.0.0.1:8000 reader@demo.liaotu.cn Liaotu-demo-2026
"""

from __future__ import annotations

import argparse
import base64
import struct
import sys
import uuid
import zlib
from datetime import date, timedelta

import httpx

TUS = {"Tus-Resumable": "1.0.0"}


class Api:
    """Operations of the published schema, called by ``operationId``."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, timeout=30, headers={"Accept-Language": "zh-hans"}
        )
        schema = self.http.get(
            "/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
        ).json()
        self.operations = {
            operation["operationId"]: (method.upper(), path)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation
        }

    def sign_in(self, email: str, password: str) -> None:
        answer = self.http.post(
            "/_allauth/app/v1/auth/login", json={"email": email, "password": password}
        )
        if answer.status_code != 200:
            raise SystemExit(f"sign-in refused ({answer.status_code}): {answer.text}")
        self.http.headers["X-Session-Token"] = answer.json()["meta"]["session_token"]

    def call(self, operation_id: str, *, params: dict | None = None, json=None, **path) -> dict:
        method, template = self.operations[operation_id]
        answer = self.http.request(method, template.format(**path), params=params, json=json)
        if answer.status_code >= 400:
            problem = answer.json()
            raise SystemExit(f"{operation_id}: {problem['code']}: {problem.get('detail', '')}")
        return answer.json() if answer.content else {}

    def upload(self, data: bytes, filename: str) -> str:
        """tus 1.0: create the upload, then send its bytes; the upload's id."""
        name = base64.b64encode(filename.encode()).decode()
        created = self.http.post(
            "/files/uploads/",
            headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": f"filename {name}"},
        )
        created.raise_for_status()
        location = created.headers["Location"]
        sent = self.http.patch(
            location,
            content=data,
            headers={
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if sent.status_code != 204:
            raise SystemExit(f"upload refused ({sent.status_code}): {sent.text}")
        return location.rstrip("/").rsplit("/", 1)[-1]


def a_png(width: int = 64, height: int = 48) -> bytes:
    """A small real PNG (a gradient), made without any imaging library."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def book_a_room(api: Api) -> dict:
    rooms = api.call("resources_list", params={"kind": "space"})["results"]
    for room in rooms:
        for days in range(1, 15):
            day = (date.today() + timedelta(days=days)).isoformat()
            slots = api.call(
                "resources_availability_retrieve", slug=room["slug"], params={"date": day}
            )["slots"]
            free = [slot for slot in slots if slot["state"] == "free"]
            if free:
                return api.call(
                    "me_bookings_create",
                    json={
                        "resource": room["slug"],
                        "starts_at": free[0]["starts_at"],
                        "ends_at": free[0]["ends_at"],
                        "note": "reference client",
                    },
                )
    raise SystemExit("no room has a free time in the next two weeks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("email")
    parser.add_argument("password")
    args = parser.parse_args(argv)

    api = Api(args.base_url)
    api.sign_in(args.email, args.password)
    print("signed in:", api.call("me_profile_retrieve")["public_name"])

    booking = book_a_room(api)
    print("booked:", booking["title"], booking["starts_at"], "code", booking["check_in_code"])

    course = api.call("courses_list")["results"][0]
    enrolment = api.call("courses_enrol_create", id=course["id"])
    print("enrolled:", enrolment["course"]["title"])
    lesson = api.call("courses_retrieve", id=course["id"])["lessons"][0]
    event = {"id": str(uuid.uuid4()), "lesson": lesson["id"], "kind": "view"}
    state = api.call("me_progress_create", json={"events": [event]})["lessons"][str(lesson["id"])]
    print(
        "progress on", lesson["title"], "->", "completed" if state["lesson_completed"] else "open"
    )

    upload = api.upload(a_png(), "reference-client.png")
    work = api.call(
        "me_works_create",
        json={
            "upload": upload,
            "title": "参考客户端上传",
            "licence": "cc-by",
        },
    )
    print("work:", work["title"], work["state"], work["id"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
