"""Demo maker space (loaded by ``seed_demo`` after the booking demo): the equipment behind the
booking resources, three printers, two trainings, certifications, print jobs in every state and
studio jobs.

The printers point at OctoPrint addresses where nothing runs in the demo, so the sync task
shows them offline; the demo's "printing" job is therefore interrupted by the first sync, which
is what the farm would do with a print whose server went away.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from booking.models import Booking, Location, Qualification, Resource
from media import processing
from media.services import store_file

from . import studio
from .models import (
    CertificationAction,
    CertificationLog,
    Equipment,
    JobEvent,
    JobStatus,
    Printer,
    PrintJob,
    StudioJob,
    Training,
)
from .virtual_printers import DEMO_API_KEY, DEMO_PORTS

# A small calibration square, as PrusaSlicer would describe it (no heating waits).
_SQUARE = "".join(
    f"G1 X{20 + n % 4 * 10} Y{20 + (n + 1) % 4 * 10} E{n * 0.5:.1f} F1500\n" for n in range(40)
)
DEMO_GCODE = (
    "; generated for the Liaotu Commons demo\n"
    "; estimated printing time (normal mode) = 42m 10s\n"
    "; filament used [g] = 12.40\n"
    f"M104 S210\nM140 S60\nG28\nG1 Z0.3 F3000\n{_SQUARE}M104 S0\nM140 S0\nM84\n"
)

# Days before now that the demo's finished prints were sent: outside the weekly quota.
HISTORY_DAYS = 8

CATALOGUE = [
    # slug, name, kind, booking resource slug, room, description
    ("3d-printer-a", "3D打印机 A", "printer", "3d-printer-a", "三楼 3D打印区",
     "FDM 打印机，PLA 白色，0.4 mm 喷嘴。"),
    ("3d-printer-b", "3D打印机 B", "printer", "3d-printer-b", "三楼 3D打印区",
     "FDM 打印机，PLA 黑色，0.4 mm 喷嘴。"),
    ("3d-printer-c", "3D打印机 C（大幅面）", "printer", None, "三楼 3D打印区",
     "30 厘米大幅面打印机，PETG 透明，只接受排队打印。"),
    ("laser-cutter", "激光切割机", "laser", "laser-cutter", "三楼创客空间",
     "40W CO₂ 激光，可切割木板、亚克力（不可切割 PVC）。"),
    ("recording-studio", "录音室", "recording", "recording-studio", "二楼",
     "隔音录音间：电容话筒、声卡、监听耳机。适合播客、有声书。"),
    ("video-studio", "演播室", "video", "video-studio", "二楼",
     "绿幕、三机位、导播台。"),
    ("camera", "单反相机套装", "photo", "camera", "三楼创客空间", "含三脚架和补光灯，馆内使用。"),
    ("sewing-machine-1", "缝纫机 1", "craft", "sewing-machine-1", "三楼创客空间",
     "家用电动缝纫机。"),
]  # fmt: skip

PRINTERS = {
    "3d-printer-a": {"material": "PLA", "colour": "白色", "port": DEMO_PORTS["3d-printer-a"]},
    "3d-printer-b": {"material": "PLA", "colour": "黑色", "port": DEMO_PORTS["3d-printer-b"]},
    "3d-printer-c": {
        "material": "PETG",
        "colour": "透明",
        "port": DEMO_PORTS["3d-printer-c"],
        "profile": "generic-300",
    },
}


def seed() -> list[str]:
    main = Location.objects.filter(slug="main").first()
    if main is None:
        return ["no booking demo location; run the booking demo first"]
    for slug, name, kind, resource_slug, room, description in CATALOGUE:
        Equipment.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "location": main,
                "room": room,
                "description": description,
                "resource": Resource.objects.filter(slug=resource_slug).first()
                if resource_slug
                else None,
            },
        )
    for slug, spec in PRINTERS.items():
        profile = spec.get("profile", "generic-220")
        printer, created = Printer.objects.update_or_create(
            equipment=Equipment.objects.get(slug=slug),
            defaults={
                "profile": profile,
                "material": spec["material"],
                "colour": spec["colour"],
                "nozzle_mm": Decimal("0.40"),
                "build_x_mm": 300 if profile == "generic-300" else 220,
                "build_y_mm": 300 if profile == "generic-300" else 220,
                "build_z_mm": 300 if profile == "generic-300" else 250,
                "octoprint_url": f"http://127.0.0.1:{spec['port']}",
            },
        )
        if created:
            printer.set_api_key(DEMO_API_KEY)
            printer.save(update_fields=["api_key_encrypted"])

    printing = Qualification.objects.filter(name="3D打印机使用培训").first()
    laser = Qualification.objects.filter(name="激光切割机安全培训").first()
    trainings = []
    for slug, name, qualification, days, description in (
        ("3d-printing", "3D打印机使用培训", printing, 365,
         "两小时：建模文件、切片、材料与安全。完成后可预约 3D 打印机并提交打印任务。"),
        ("laser-safety", "激光切割机安全培训", laser, 180,
         "一小时：可切割材料、排风与防火、紧急停机。"),
    ):  # fmt: skip
        if qualification is None:
            continue
        training, _c = Training.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "qualification": qualification,
                "valid_days": days,
                "description": description,
            },
        )
        training.sessions.set(_sessions(name))
        trainings.append(training)
    lines = [f"{Equipment.objects.count()} equipment, {Printer.objects.count()} printers, "
             f"{len(trainings)} trainings"]  # fmt: skip

    maker = User.objects.filter(email="maker@demo.liaotu.cn").first()
    technician = User.objects.filter(email="technician@demo.liaotu.cn").first()
    if maker is None or technician is None or printing is None:
        return lines
    if not CertificationLog.objects.filter(user=maker).exists():
        CertificationLog.objects.create(
            user=maker,
            qualification=printing,
            training=trainings[0] if trainings else None,
            action=CertificationAction.GRANTED,
            by=technician,
        )
    if not PrintJob.objects.filter(owner=maker).exists():
        _jobs(maker, technician)
    _leave_room_to_print(maker)
    if not StudioJob.objects.filter(booking__user=maker).exists():
        _studio_jobs(maker, technician)
    lines.append(f"{PrintJob.objects.count()} print jobs, {StudioJob.objects.count()} studio jobs")
    return lines


def _sessions(title: str):
    from booking.models import Event

    return Event.objects.filter(title=title)


def _jobs(maker: User, technician: User) -> None:
    """One job in each state, written directly (their history cannot be replayed by services)."""
    source = store_file(
        content=ContentFile(DEMO_GCODE.encode()),
        original_name="校准方块.gcode",
        content_type="text/x-gcode",
        owner=maker,
        prefix="makerspace/sources",
    )
    printers = {p.equipment.slug: p for p in Printer.objects.select_related("equipment")}
    now = timezone.now()
    plan = [
        ("无障碍餐具握把", JobStatus.ESTIMATED, None, {}),
        ("手机支架", JobStatus.SUBMITTED, None, {"submitted_at": now - timedelta(hours=3)}),
        ("书立（一对）", JobStatus.QUEUED, None, {"approved_at": now - timedelta(hours=1)}),
        ("齿轮模型", JobStatus.PRINTING, "3d-printer-a",
         {"started_at": now - timedelta(minutes=20), "progress": 47.0, "seconds_left": 1330}),
        ("钥匙扣", JobStatus.DONE, "3d-printer-b",
         {"submitted_at": now - timedelta(days=HISTORY_DAYS),
          "started_at": now - timedelta(hours=5), "finished_at": now - timedelta(hours=4),
          "progress": 100.0}),
        ("校徽浮雕", JobStatus.COLLECTED, "3d-printer-b",
         {"submitted_at": now - timedelta(days=HISTORY_DAYS + 2),
          "started_at": now - timedelta(days=9), "finished_at": now - timedelta(days=9)}),
        ("花瓶", JobStatus.FAILED, "3d-printer-c",
         {"reason": "打印机报告错误：Thermal Runaway",
          "submitted_at": now - timedelta(days=HISTORY_DAYS + 1),
          "started_at": now - timedelta(days=8), "finished_at": now - timedelta(days=8)}),
        ("收纳盒", JobStatus.INTERRUPTED, "3d-printer-a",
         {"reason": "与打印机的连接中断。",
          "submitted_at": now - timedelta(days=HISTORY_DAYS + 3),
          "started_at": now - timedelta(days=10), "finished_at": now - timedelta(days=10)}),
        ("大型雕塑", JobStatus.REJECTED, None, {"reason": "模型超过 20 小时，请分件打印。"}),
        ("耳机挂钩", JobStatus.CANCELLED, None, {}),
        ("镂空灯罩", JobStatus.SLICE_FAILED, None, {"reason": "模型不封闭，无法切片。"}),
    ]  # fmt: skip
    for title, status, printer_slug, extra in plan:
        reviewed = status not in (JobStatus.ESTIMATED, JobStatus.SLICE_FAILED)
        # A model that could not be sliced has no time, filament or extent to show.
        sliced = status != JobStatus.SLICE_FAILED
        job = PrintJob.objects.create(
            owner=maker,
            title=title,
            source=source,
            source_kind="gcode",
            gcode=source,
            profile="generic-300" if printer_slug == "3d-printer-c" else "generic-220",
            material="PETG" if printer_slug == "3d-printer-c" else "PLA",
            nozzle_mm=Decimal("0.40"),
            status=status,
            estimated_seconds=2530 if sliced else None,
            filament_g=Decimal("12.40") if sliced else None,
            extent_mm={"x": 50.0, "y": 50.0, "z": 0.3} if sliced else {},
            printer=printers.get(printer_slug),
            remote_name=f"liaotu-demo-{title}.gcode" if printer_slug else "",
            attempts=1 if printer_slug else 0,
            submitted_at=extra.pop("submitted_at", now - timedelta(days=1)) if reviewed else None,
            reviewed_by=technician if reviewed else None,
            **extra,
        )
        JobEvent.objects.create(job=job, status=status, message=job.reason, printer=job.printer)
    # Printers whose last print ended wait for a technician.
    Printer.objects.filter(equipment__slug__in=["3d-printer-b", "3d-printer-c"]).update(
        is_cleared=False
    )
    Printer.objects.filter(equipment__slug="3d-printer-c").update(
        needs_attention=True,
        attention_reason="打印机报告热失控（Thermal Runaway），已自动停机，请检查加热床。",
    )


def _leave_room_to_print(maker: User) -> None:
    """The demo maker must be able to send a print: finished and failed jobs count as sent
    more than a week ago (only three of the weekly five are this week's), also in a demo
    database seeded before this rule, and the job that could not be sliced shows no estimate."""
    earlier = timezone.now() - timedelta(days=HISTORY_DAYS)
    PrintJob.objects.filter(
        owner=maker,
        status__in=(JobStatus.DONE, JobStatus.COLLECTED, JobStatus.FAILED, JobStatus.INTERRUPTED),
        submitted_at__gt=earlier,
    ).update(submitted_at=earlier)
    PrintJob.objects.filter(owner=maker, status=JobStatus.SLICE_FAILED).update(
        estimated_seconds=None, filament_g=None, cost=None, extent_mm={}
    )


def _studio_jobs(maker: User, technician: User) -> None:
    """The maker's studio sessions: one processed into a private work, one waiting."""
    sessions = list(
        Booking.objects.filter(
            user=maker, resource__slug__in=["recording-studio", "video-studio"]
        ).order_by("starts_at")
    )
    if not sessions:
        return
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "session.wav"
        # Two seconds of room tone, twelve of a voice-like tone, two of room tone.
        tone = "sine=frequency=220:duration=12:sample_rate=48000"
        room = "volume=-28dB,adelay=2000|2000,apad=pad_dur=2"
        processing.ffmpeg("-f", "lavfi", "-i", tone, "-af", room, str(raw))
        job = studio.attach_recording(
            booking=sessions[0],
            upload=SimpleUploadedFile("session.wav", raw.read_bytes()),
            by=technician,
            title="家乡方言播客·第一期",
            chapters="00:00 开场\n00:06 沈阳话里的“嘎哈”",
        )
    studio.process(job.pk)
    if len(sessions) > 1:
        StudioJob.objects.create(booking=sessions[1], title="创客作品展示视频")
