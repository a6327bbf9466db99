"""Booking tasks: thin wrappers around services, safe to run twice."""

from celery import shared_task

from core.tasks import IdempotentTask

from . import notifications, services


@shared_task(base=IdempotentTask, name="booking.tasks.notify_booking")
def notify_booking(booking_id: str, event: str) -> bool:
    return notifications.deliver(booking_id=booking_id, event=event)


@shared_task(base=IdempotentTask, name="booking.tasks.notify_suspension")
def notify_suspension(suspension_id: int) -> None:
    notifications.send_suspension_notice(suspension_id=suspension_id)


@shared_task(base=IdempotentTask, name="booking.tasks.release_no_shows")
def release_no_shows() -> int:
    return services.release_no_shows()


@shared_task(base=IdempotentTask, name="booking.tasks.expire_offers")
def expire_offers() -> int:
    return services.expire_offers()


@shared_task(base=IdempotentTask, name="booking.tasks.send_reminders")
def send_reminders() -> int:
    return notifications.send_reminders()


@shared_task(base=IdempotentTask, name="booking.tasks.announce_event")
def announce_event(event_id: int) -> int:
    """Tell the followers of an event's kind that it is open (once each)."""
    return notifications.announce_event(event_id=event_id)
