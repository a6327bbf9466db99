"""Telling followers about new courses and lessons, once each."""

from __future__ import annotations

from celery import Task, shared_task

from core.tasks import IdempotentTask

from . import notifications


@shared_task(base=IdempotentTask, bind=True, name="courses.tasks.notify_followers")
def notify_followers(self: Task, page_id: int) -> int:
    return notifications.notify_followers(page_id=page_id)
