"""Maker-space test data: equipment with its booking resource, printers of the test-only
``virtual`` type, trainings and certified makers, and small models and G-code."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import Booking, Qualification, UserQualification
from booking.tests.factories import EventFactory, LocationFactory, ResourceFactory, staff_member
from makerspace.models import Equipment, EquipmentKind, Printer, Training


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification
        django_get_or_create = ("name",)

    name = "3D打印安全培训"


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    name = factory.Sequence(lambda n: f"打印机{n}号")
    slug = factory.Sequence(lambda n: f"printer-{n}")
    kind = EquipmentKind.PRINTER
    location = factory.SubFactory(LocationFactory)
    resource = factory.SubFactory(
        ResourceFactory,
        kind="equipment",
        required_qualification=factory.SubFactory(QualificationFactory),
    )


class PrinterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Printer
        skip_postgeneration_save = True

    equipment = factory.SubFactory(EquipmentFactory)
    profile = "virtual"
    material = "PLA"
    colour = "白色"
    state = "operational"
    octoprint_url = "http://127.0.0.1:9"

    @factory.post_generation
    def api_key(self, create, extracted, **kwargs):
        self.set_api_key(extracted or "0" * 32)
        if create:
            self.save()


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    name = factory.Sequence(lambda n: f"培训{n}")
    slug = factory.Sequence(lambda n: f"training-{n}")
    qualification = factory.SubFactory(QualificationFactory)
    valid_days = 365


def certified_maker(qualification: Qualification | None = None, **kwargs):
    user = UserFactory(**kwargs)
    UserQualification.objects.create(
        user=user,
        qualification=qualification or QualificationFactory(),
        granted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )
    return user


def session_place(user, training: Training, *, checked_in: bool = True) -> Booking:
    """A place for ``user`` at a new session of ``training`` starting in ten minutes (inside
    the check-in window), checked in at the desk unless ``checked_in`` is False."""
    event = EventFactory(
        title=f"{training.name}·课程",
        kind="training",
        starts_at=timezone.now() + timedelta(minutes=10),
    )
    training.sessions.add(event)
    booking = booking_services.book_event(user=user, event=event)
    if checked_in:
        booking = booking_services.check_in(booking=booking, by=staff_member())
    return booking


def box_stl(x: float = 10, y: float = 10, z: float = 1) -> bytes:
    """A closed box as binary STL (12 triangles)."""
    v = [(0, 0, 0), (x, 0, 0), (x, y, 0), (0, y, 0), (0, 0, z), (x, 0, z), (x, y, z), (0, y, z)]
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
             (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7)]  # fmt: skip
    out = b"\0" * 80 + struct.pack("<I", len(faces))
    for face in faces:
        out += struct.pack("<3f", 0, 0, 0)
        out += b"".join(struct.pack("<3f", *v[i]) for i in face) + b"\0\0"
    return out


def box_3mf(x: float = 10, y: float = 10, z: float = 1) -> bytes:
    v = [(0, 0, 0), (x, 0, 0), (x, y, 0), (0, y, 0), (0, 0, z), (x, 0, z), (x, y, z), (0, y, z)]
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
             (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7)]  # fmt: skip
    vertices = "".join(f'<vertex x="{a}" y="{b}" z="{c}"/>' for a, b, c in v)
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces)
    model = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{vertices}</vertices>'
        f"<triangles>{triangles}</triangles></mesh></object></resources>"
        '<build><item objectid="1"/></build></model>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="model" '
        'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
        'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("3D/3dmodel.model", model)
    return buffer.getvalue()


# Short G-code without heating waits: a print takes a second or two on the Virtual Printer.
SHORT_GCODE = (
    b"; estimated printing time (normal mode) = 1m 30s\n; filament used [g] = 2.50\n"
    b"G28\nG1 Z5 F3000\nG1 X10 Y10 F3000\nG1 X20 Y20\nG1 X10 Y10\nM84\n"
)


def long_gcode(lines: int = 3000) -> bytes:
    """Long enough (several seconds) to still be printing when a failure is injected."""
    moves = "".join(f"G1 X{n % 50} Y{n % 40} F600\n" for n in range(lines))
    return f"; estimated printing time (normal mode) = 5m\nG28\n{moves}M84\n".encode()


def upload(data: bytes, name: str = "part.gcode") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
