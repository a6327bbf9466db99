"""Demo bookings: two buildings, rooms with parts, maker equipment, studios, human-library
books, events (one recurring) and bookings in every state (loaded by ``seed_demo``).

Places and rules are updated in place on every run; bookings are made once, relative to the
day of the first run, through the same services readers use.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User

from . import services
from .models import (
    AvailabilityWindow,
    Booking,
    BookingStatus,
    Category,
    Closure,
    Event,
    EventSeries,
    Location,
    OpeningHours,
    Qualification,
    Resource,
)

TZ = ZoneInfo("Asia/Shanghai")


def _location(slug: str, name: str, address: str, opens: time, closes: time) -> Location:
    location, _created = Location.objects.update_or_create(
        slug=slug, defaults={"name": name, "address": address, "timezone": "Asia/Shanghai"}
    )
    OpeningHours.objects.filter(location=location).delete()
    for weekday in range(7):
        OpeningHours.objects.create(location=location, weekday=weekday, opens=opens, closes=closes)
    return location


def _category(slug: str, name: str, **quotas) -> Category:
    category, _created = Category.objects.update_or_create(
        slug=slug, defaults={"name": name, **quotas}
    )
    return category


def _resource(slug: str, **fields) -> Resource:
    resource, _created = Resource.objects.update_or_create(slug=slug, defaults=fields)
    return resource


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    today = timezone.localdate(timezone=TZ)
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=TZ)


def seed() -> list[str]:
    main = _location(
        "main", "辽宁省图书馆总馆", "辽宁省沈阳市和平区（示例地址）", time(9), time(21)
    )
    kids = _location("children", "少儿分馆", "沈阳市和平区南京北街", time(9), time(18))
    checkup = timezone.localdate(timezone=TZ) + timedelta(days=10)
    Closure.objects.update_or_create(
        location=kids, reason="消防设备年检", defaults={"first_day": checkup, "last_day": checkup}
    )

    rooms = _category("rooms", "研讨空间", max_bookings_per_day=2, max_hours_per_week=Decimal("6"))
    machines = _category(
        "maker-equipment", "创客设备", max_hours_per_day=Decimal("4"), max_upcoming=3
    )
    studios = _category("studios", "录播工作室", max_bookings_per_day=1, max_upcoming=2)
    human = _category("human-library", "真人图书馆", max_upcoming=2)
    events = _category("events", "讲座与课程", max_upcoming=6)

    printing, _c = Qualification.objects.update_or_create(
        name="3D打印机使用培训",
        defaults={"description": "操作流程、切片设置、安全注意事项。有效期一年。"},
    )
    laser, _c = Qualification.objects.update_or_create(
        name="激光切割机安全培训",
        defaults={"description": "材料限制、排风、防火。有效期半年。"},
    )

    makerspace = _resource(
        "makerspace", name="众创空间", kind="space", location=main, category=rooms,
        description="总馆三楼的创客空间，整层包场需审批。", requires_approval=True,
        min_duration_minutes=60, max_duration_minutes=240, slot_minutes=30,
    )  # fmt: skip
    print_zone = _resource(
        "print-zone", name="3D打印区", kind="space", location=main, category=rooms,
        parent=makerspace, min_duration_minutes=60, max_duration_minutes=180,
    )  # fmt: skip
    for letter in "AB":
        _resource(
            f"3d-printer-{letter.lower()}", name=f"3D打印机 {letter}", kind="equipment",
            location=main, category=machines, parent=print_zone, required_qualification=printing,
            description="Prusa MK4，打印尺寸 25×21×22 厘米，PLA/PETG。",
            min_duration_minutes=60, max_duration_minutes=240, slot_minutes=30, buffer_minutes=15,
        )  # fmt: skip
    _resource(
        "laser-cutter", name="激光切割机", kind="equipment", location=main, category=machines,
        parent=makerspace, required_qualification=laser, buffer_minutes=15,
        description="40W CO₂ 激光，可切割木板、亚克力（不可切割 PVC）。",
        min_duration_minutes=30, max_duration_minutes=120,
    )  # fmt: skip
    for number in (1, 2):
        _resource(
            f"sewing-machine-{number}", name=f"缝纫机 {number}", kind="equipment", location=main,
            category=machines, parent=makerspace, min_duration_minutes=30, max_duration_minutes=180,
        )  # fmt: skip
    _resource(
        "camera", name="单反相机套装", kind="equipment", location=main, category=machines,
        description="含三脚架和补光灯，馆内使用。", requires_approval=True,
        min_duration_minutes=60, max_duration_minutes=240,
    )  # fmt: skip
    recording = _resource(
        "recording-studio", name="录音室", kind="studio", location=main, category=studios,
        description="隔音录音间，适合播客、有声书录制。", buffer_minutes=15,
        min_duration_minutes=60, max_duration_minutes=180,
    )  # fmt: skip
    _resource(
        "video-studio", name="演播室", kind="studio", location=main, category=studios,
        description="绿幕、三机位、导播台。需工作人员审批。", requires_approval=True,
        buffer_minutes=30, min_duration_minutes=60, max_duration_minutes=240, slot_minutes=60,
    )  # fmt: skip
    hall = _resource(
        "hall", name="多功能厅", kind="space", location=main, category=rooms,
        description="120 座，可分为东、西两区。", requires_approval=True,
        min_duration_minutes=60, max_duration_minutes=240,
    )  # fmt: skip
    for side, label in (("east", "东区"), ("west", "西区")):
        _resource(
            f"hall-{side}", name=f"多功能厅{label}", kind="space", location=main,
            category=rooms, parent=hall, min_duration_minutes=60, max_duration_minutes=180,
        )  # fmt: skip
    seminar = _resource(
        "seminar-1", name="研讨室 1", kind="space", location=main, category=rooms,
        description="8 人，带投影。", min_duration_minutes=30, max_duration_minutes=180,
    )  # fmt: skip
    _resource(
        "seminar-2", name="研讨室 2", kind="space", location=main, category=rooms,
        description="6 人，带白板。", min_duration_minutes=30, max_duration_minutes=180,
    )  # fmt: skip
    _resource(
        "kids-reading-room", name="亲子阅读室", kind="space", location=kids, category=rooms,
        description="适合亲子共读和绘本活动。", audiences=["child"],
        min_duration_minutes=30, max_duration_minutes=120,
    )  # fmt: skip
    worker = _resource(
        "human-book-worker", name="真人图书：老工人张师傅", kind="human_book", location=main,
        category=human, min_duration_minutes=30, max_duration_minutes=60,
        description="在铁西的工厂工作了三十五年，讲讲老工业基地的日子。",
    )  # fmt: skip
    papercut = _resource(
        "human-book-papercut", name="真人图书：剪纸传承人刘老师", kind="human_book",
        location=main, category=human, min_duration_minutes=30, max_duration_minutes=60,
        description="满族剪纸非遗传承人，聊聊剪纸和家乡的年俗。",
    )  # fmt: skip
    for book, windows in ((worker, [(5, 14, 17), (6, 14, 17)]), (papercut, [(2, 15, 17)])):
        AvailabilityWindow.objects.filter(resource=book).delete()
        for weekday, start, end in windows:
            AvailabilityWindow.objects.create(
                resource=book, weekday=weekday, starts=time(start), ends=time(end)
            )

    lines = [f"{Resource.objects.count()} resources at {Location.objects.count()} locations"]
    librarian = User.objects.filter(email="librarian@demo.liaotu.cn").first()
    reader = User.objects.filter(email="reader@demo.liaotu.cn").first()
    maker = User.objects.filter(email="maker@demo.liaotu.cn").first()
    if librarian is None or reader is None or maker is None:
        return lines
    if Booking.objects.filter(user__in=[reader, maker], is_hold=False).exists():
        lines.append("bookings were made on an earlier run; left as they are")
        return lines

    services.grant_qualification(
        user=maker, qualification=printing, expires_at=timezone.now() + timedelta(days=365)
    )
    lecture = _event(
        librarian, "沈阳工业记忆：从铁西区说起", "lecture", main, hall, events, 40, _at(5, 14), 2
    )
    workshop = _event(
        librarian, "亲子3D打印体验课", "workshop", main, print_zone, events, 2, _at(6, 10), 2
    )
    _event(librarian, "3D打印机使用培训", "training", main, seminar, events, 8, _at(3, 18), 2)
    _event(
        librarian, "真人图书馆：铁西往事小组对谈", "human_library", main, worker, human, 6,
        _at((5 - timezone.localdate(timezone=TZ).weekday()) % 7 or 7, 14), 1,
    )  # fmt: skip
    first = _at(1, 0).date()
    series, _c = EventSeries.objects.update_or_create(
        title="银龄智能手机课",
        defaults={
            "description": "每周一课：微信视频、健康码、网上挂号、防诈骗。",
            "kind": "class",
            "location": main,
            "resource": seminar,
            "category": events,
            "capacity": 8,
            "weekdays": [first.weekday()],
            "start_time": time(9, 30),
            "duration_minutes": 90,
            "first_date": first,
            "last_date": first + timedelta(weeks=5),
        },
    )
    services.generate_occurrences(series=series, by=librarian)

    # The reader's bookings, in the states readers will meet.
    services.book_event(user=reader, event=lecture)
    services.book_event(user=reader, event=series.events.order_by("starts_at").first())
    services.book_resource(
        user=reader, resource=seminar, starts_at=_at(2, 10), ends_at=_at(2, 11, 30),
        note="读书会讨论《平凡的世界》",
    )  # fmt: skip
    services.book_resource(
        user=maker, resource=recording, starts_at=_at(4, 15), ends_at=_at(4, 17),
        note="录制家乡方言播客",
    )  # fmt: skip
    services.book_resource(
        user=maker, resource=Resource.objects.get(slug="video-studio"),
        starts_at=_at(8, 10), ends_at=_at(8, 12), note="拍摄创客作品展示视频",
    )  # fmt: skip
    services.book_resource(
        user=maker, resource=Resource.objects.get(slug="3d-printer-a"),
        starts_at=_at(1, 13), ends_at=_at(1, 16), note="打印无障碍餐具握把",
    )  # fmt: skip
    cancelled = services.book_resource(
        user=reader, resource=seminar, starts_at=_at(3, 10), ends_at=_at(3, 11)
    )
    services.cancel_booking(booking=cancelled, by=reader, reason="临时有事")
    # A full workshop with the reader on its waiting list.
    services.book_event(user=maker, event=workshop)
    services.book_event(user=librarian, event=workshop)
    services.join_waitlist(user=reader, event=workshop)
    # Earlier visits: one attended, one missed.
    _past(reader, seminar, days_ago=6, status=BookingStatus.CHECKED_IN)
    _past(reader, seminar, days_ago=3, status=BookingStatus.NO_SHOW)
    lines.append(f"{Booking.objects.filter(is_hold=False).count()} bookings, events and a series")
    return lines


def _event(
    by: User, title: str, kind: str, location: Location, room: Resource | None, category, capacity,
    start: datetime, hours: int,
) -> Event:  # fmt: skip
    event, _created = Event.objects.update_or_create(
        title=title,
        defaults={
            "kind": kind,
            "location": location,
            "resource": room,
            "category": category,
            "capacity": capacity,
            "starts_at": start,
            "ends_at": start + timedelta(hours=hours),
            "description": f"{title}。欢迎报名，名额有限。",
        },
    )
    return services.sync_event(event=event, by=by)


def _past(user: User, resource: Resource, *, days_ago: int, status: str) -> None:
    """History cannot be booked through the rules (it is in the past), so it is written as is."""
    start = _at(-days_ago, 15)
    Booking.objects.create(
        user=user, resource=resource, starts_at=start, ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1), status=status,
        check_in_code=services.new_check_in_code(),
        checked_in_at=start if status == BookingStatus.CHECKED_IN else None,
    )  # fmt: skip
