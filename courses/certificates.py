"""Certificates of completion as PDF, with a verification URL and its QR code.

The Chinese text is set in WenQuanYi Zen Hei (Debian's ``fonts-wqy-zenhei``, installed by
``scripts/setup``), embedded in the PDF as a subset: a certificate must print and display the
same on any viewer, including one without CJK fonts of its own (ReportLab's built-in CID fonts
such as STSong-Light are only named, never embedded). ReportLab embeds TrueType outlines, not the
CFF outlines of Noto CJK, hence this font. Without it a certificate is refused loudly rather than
drawn with missing glyphs."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .models import Certificate

FONT = "WenQuanYiZenHei"
# Where Debian's fonts-wqy-zenhei puts its TrueType collection (face 0 is Zen Hei).
FONT_FILES = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")]


def register_font(files: list[Path] | None = None) -> str:
    """Register the certificate font once, from the first of ``files`` that exists."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in files or FONT_FILES:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
            return FONT
    raise ImproperlyConfigured(
        "The certificate font is missing: install Debian's fonts-wqy-zenhei "
        f"(scripts/setup does); looked for {', '.join(str(p) for p in files or FONT_FILES)}."
    )


def render(certificate: Certificate, verify_url: str) -> bytes:
    register_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"结业证书 {certificate.code}")
    pdf.setAuthor("辽宁省图书馆")
    pdf.setStrokeColorRGB(0.54, 0.11, 0.11)
    pdf.setLineWidth(6)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setFillColorRGB(0.54, 0.11, 0.11)
    pdf.setFont(FONT, 40)
    pdf.drawCentredString(width / 2, height - 130, "结业证书")
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(FONT, 16)
    pdf.drawCentredString(width / 2, height - 165, "Certificate of Completion")
    pdf.setFont(FONT, 30)
    pdf.drawCentredString(width / 2, height - 240, certificate.learner_name)
    pdf.setFont(FONT, 18)
    pdf.drawCentredString(
        width / 2, height - 290, f"已完成课程《{certificate.course_title}》的全部学习要求。"
    )
    pdf.drawCentredString(
        width / 2, height - 325, f"颁发日期：{certificate.issued_on:%Y年%m月%d日}"
    )
    pdf.setFont(FONT, 12)
    pdf.drawString(60, 80, "辽宁省图书馆 · 辽图共享空间 全民自主学习平台")
    pdf.drawString(60, 62, f"证书编号：{certificate.code}   验证：{verify_url}")
    code = qrcode.make(verify_url, box_size=4, border=1)
    image = io.BytesIO()
    code.save(image, format="PNG")
    image.seek(0)
    pdf.drawImage(ImageReader(image), width - 170, 50, 110, 110)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
