"""The learning record as xAPI 1.0.3 statements (JSON), for the learner to take elsewhere."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from accounts.models import User
from core.siteurl import absolute

from . import selectors

VERBS = {
    "registered": "http://adlnet.gov/expapi/verbs/registered",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
}
NAMESPACE = uuid.UUID("6f1b7c1e-3d0a-4f57-9b8e-2c6f4a1d9e10")


def _statement(request: HttpRequest, user: User, verb: str, page, when, key: str, **extra) -> dict:
    statement = {
        # Stable ids: exporting twice gives the same statements, so a store de-duplicates them.
        "id": str(uuid.uuid5(NAMESPACE, f"{user.pk}:{key}")),
        "actor": {
            "objectType": "Agent",
            "name": user.display_name or user.email,
            "mbox": f"mailto:{user.email}",
        },
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": absolute(page.url),
            "definition": {"name": {"zh-CN": page.title}},
        },
        "timestamp": when.isoformat(),
        "version": "1.0.3",
    }
    statement.update(extra)
    return statement


def statements_for(request: HttpRequest, user: User) -> list[dict]:
    record = selectors.record_of(user)
    statements = []
    for enrolment in record.enrolments:
        statements.append(
            _statement(
                request,
                user,
                "registered",
                enrolment.course,
                enrolment.enrolled_at,
                f"enrol:{enrolment.pk}",
            )
        )
        if enrolment.completed_at:
            statements.append(
                _statement(
                    request,
                    user,
                    "completed",
                    enrolment.course,
                    enrolment.completed_at,
                    f"course:{enrolment.pk}",
                    result={"completion": True},
                )
            )
    for item in record.lessons:
        if item.viewed_at:
            statements.append(
                _statement(
                    request,
                    user,
                    "experienced",
                    item.lesson,
                    item.viewed_at,
                    f"view:{item.pk}",
                    result={"duration": f"PT{item.time_spent_seconds}S"},
                )
            )
        if item.completed_at:
            result = {"completion": True}
            if item.best_score is not None:
                result["score"] = {"scaled": round(item.best_score / 100, 4)}
            statements.append(
                _statement(
                    request,
                    user,
                    "completed",
                    item.lesson,
                    item.completed_at,
                    f"lesson:{item.pk}",
                    result=result,
                )
            )
    for attempt in record.quizzes:
        statements.append(
            _statement(
                request,
                user,
                "answered",
                attempt.lesson,
                attempt.created_at,
                f"quiz:{attempt.pk}",
                result={
                    "score": {
                        "raw": attempt.correct,
                        "min": 0,
                        "max": attempt.total,
                        "scaled": round(attempt.correct / attempt.total, 4),
                    },
                    "success": attempt.percent >= attempt.lesson.threshold,
                },
            )
        )
    return statements
