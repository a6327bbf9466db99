"""Demo content for 辽海往事: a collection, narrators, places, and interviews with Chinese
transcripts and index points: open ones, one on request, one restricted and one embargoed.

The recordings are synthetic tones of the right length (no speech), processed by the real media
pipeline; one interview has a redacted range, so its public copy is made too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.test import override_settings

from accounts.models import User
from media import pipeline
from media.models import MediaAsset
from media.processing import ffmpeg
from media.services import store_file

from . import services
from .models import AccessLevel, Collection, Interview, Narrator, Place, Series, Subject
from .selectors import ShownCue
from .tasks import build_redacted_copy

CUE_SECONDS = 8

INTERVIEWS = [
    {
        "accession": "LHWS-2024-001",
        "title": "纺织厂的三十年：张桂兰口述",
        "narrator": ("张桂兰", 1941, "沈阳", "纺织女工"),
        "place": ("沈阳", "41.805699", "123.431472"),
        "date": dt.date(2024, 5, 12),
        "years": (1958, 1990),
        "subjects": ["工业", "女性"],
        "keywords": ["纺织厂", "三班倒", "劳动模范"],
        "level": AccessLevel.OPEN,
        "summary": "张桂兰讲述她1958年进入沈阳第一纺织厂，在车间三班倒工作三十年，"
        "以及厂里的食堂、托儿所和劳动竞赛。",
        "lines": [
            ("王丽", "张阿姨，您还记得第一天进纺织厂是什么样子吗？"),
            ("张桂兰", "记得，那是一九五八年秋天，我十七岁，跟着同村的姐妹坐火车到沈阳。"),
            ("张桂兰", "车间里机器声音特别大，说话都得喊，师傅手把手教我接线头。"),
            ("王丽", "那时候上班是怎么排班的？"),
            ("张桂兰", "三班倒，早班六点上，夜班最难熬，冬天下了班天还黑着。"),
            ("张桂兰", "厂里有食堂，有托儿所，孩子送到托儿所我们就安心干活。"),
            ("王丽", "您后来当上了劳动模范？"),
            ("张桂兰", "一九六四年评上的，那年我看的车台最多，一个人看二十四台。"),
            ("张桂兰", "奖状现在还挂在家里，是我这辈子最骄傲的事。"),
            ("王丽", "工厂改制的时候您是怎么想的？"),
            ("张桂兰", "九十年代厂子效益不好，很多姐妹下岗了，心里不是滋味。"),
            ("张桂兰", "但是日子总要往前过，我们这代人吃过苦，也不怕苦。"),
        ],
        "segments": [
            (0, "进厂", "1958年从农村到沈阳第一纺织厂。", ["进厂", "火车"]),
            (24, "三班倒与托儿所", "车间排班、食堂和托儿所。", ["三班倒", "托儿所"]),
            (48, "劳动模范", "1964年评为劳动模范。", ["劳动模范", "奖状"]),
            (72, "改制与下岗", "九十年代工厂改制。", ["改制", "下岗"]),
        ],
        "redact": (64, 72, "涉及第三方隐私"),
    },
    {
        "accession": "LHWS-2024-002",
        "title": "大连港的码头记忆：李国强口述",
        "narrator": ("李国强", 1948, "大连", "港口装卸工"),
        "place": ("大连", "38.914003", "121.614682"),
        "date": dt.date(2024, 7, 3),
        "years": (1966, 2008),
        "subjects": ["港口", "工业"],
        "keywords": ["码头", "装卸", "集装箱"],
        "level": AccessLevel.OPEN,
        "summary": "李国强回忆在大连港做装卸工的四十年，从肩扛手抬到集装箱吊车。",
        "lines": [
            ("王丽", "李师傅，您是哪一年到大连港工作的？"),
            ("李国强", "一九六六年，我十八岁，分配到码头当装卸工。"),
            ("李国强", "那时候全靠肩膀扛，一麻袋大豆一百八十斤，一天扛几百袋。"),
            ("王丽", "什么时候开始用机器的？"),
            ("李国强", "七十年代末有了吊车，八十年代集装箱多起来，活儿轻快多了。"),
            ("李国强", "我们班组学开吊车，我是第一批拿到证的。"),
            ("王丽", "码头上最难忘的事是什么？"),
            ("李国强", "有一年冬天海面结冰，我们连夜破冰卸粮，谁都没说一句累。"),
        ],
        "segments": [
            (0, "分配到码头", "1966年成为装卸工。", ["码头", "装卸"]),
            (32, "机械化与集装箱", "从人力到吊车与集装箱。", ["吊车", "集装箱"]),
            (48, "冬夜破冰卸粮", "最难忘的一次抢卸。", ["破冰", "粮食"]),
        ],
        "gps": [(38.921, 121.652, "大连港老码头")],
    },
    {
        "accession": "LHWS-2024-003",
        "title": "知青岁月：周文华口述",
        "narrator": ("周文华", 1952, "鞍山", "中学教师"),
        "place": ("鞍山", "41.108647", "122.994329"),
        "date": dt.date(2024, 9, 20),
        "years": (1968, 1978),
        "subjects": ["知青", "教育"],
        "keywords": ["上山下乡", "恢复高考"],
        "level": AccessLevel.REQUEST,
        "summary": "周文华讲述下乡插队与1977年恢复高考后考上师范学院的经历。",
        "lines": [
            ("王丽", "周老师，您是哪年下乡的？"),
            ("周文华", "一九六八年冬天，去了辽西的一个生产队。"),
            ("周文华", "白天下地，晚上在煤油灯下看书，书是大家传着看的。"),
            ("王丽", "恢复高考的消息是怎么知道的？"),
            ("周文华", "一九七七年秋天从广播里听到的，我连夜找复习资料。"),
            ("周文华", "后来考上了师范学院，当了一辈子中学老师。"),
        ],
        "segments": [
            (0, "下乡插队", "1968年到辽西生产队。", ["插队"]),
            (24, "恢复高考", "1977年参加高考。", ["高考"]),
        ],
    },
    {
        "accession": "LHWS-2024-004",
        "title": "抚顺矿区的家族往事（限制访问）",
        "narrator": ("匿名受访者A", 1950, "抚顺", "矿工"),
        "anonymised": True,
        "place": ("抚顺", "41.880872", "123.957208"),
        "date": dt.date(2024, 10, 8),
        "years": (1960, 2000),
        "subjects": ["矿业"],
        "keywords": ["煤矿"],
        "level": AccessLevel.RESTRICTED,
        "summary": "涉及在世人物的家族往事，仅限馆员查阅。",
        "lines": [
            ("王丽", "您家几代人都在矿上？"),
            ("受访者", "三代人，爷爷那辈就在露天矿。"),
        ],
        "segments": [(0, "三代矿工", "家族与露天矿。", ["露天矿"])],
    },
    {
        "accession": "LHWS-2025-005",
        "title": "锦州老街的商铺：赵秀梅口述",
        "narrator": ("赵秀梅", 1945, "锦州", "个体商户"),
        "place": ("锦州", "41.095120", "121.127004"),
        "date": dt.date(2025, 3, 15),
        "years": (1980, 2010),
        "subjects": ["商业"],
        "keywords": ["个体户", "老街"],
        "level": AccessLevel.EMBARGO,
        "embargo": dt.date(2030, 1, 1),
        "summary": "受访人要求访谈在2030年前不公开录音和文字稿。",
        "lines": [
            ("王丽", "您是哪一年开始做生意的？"),
            ("赵秀梅", "一九八二年，在老街上开了个小杂货铺。"),
        ],
        "segments": [(0, "开杂货铺", "1982年开始经营。", ["杂货铺"])],
    },
]


def _vtt(lines: list[tuple[str, str]]) -> str:
    return services.render_vtt([
        ShownCue(float(n * CUE_SECONDS), float((n + 1) * CUE_SECONDS), speaker, text)
        for n, (speaker, text) in enumerate(lines)
    ])  # fmt: skip


def _tone(workdir: Path, seconds: int, index: int) -> bytes:
    path = workdir / f"oh{index}.mp3"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency={180 + 20 * index}:duration={seconds}",
           "-af", "volume=0.3", "-c:a", "libmp3lame", "-b:a", "32k", str(path))  # fmt: skip
    return path.read_bytes()


def seed() -> list[str]:
    archivist = User.objects.filter(email="archivist@demo.liaotu.cn").first()
    if Interview.objects.filter(accession_number="LHWS-2024-001").exists():
        return [f"{Interview.objects.count()} interviews already present"]
    collection, _ = Collection.objects.get_or_create(
        slug="liaohai",
        defaults={"name": "辽海往事口述历史", "description": "辽宁城乡普通人的二十世纪记忆。"},
    )
    series, _ = Series.objects.get_or_create(
        collection=collection, slug="industry", defaults={"name": "工业记忆"}
    )
    done = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
    ):
        for index, spec in enumerate(INTERVIEWS):
            name, born, town, job = spec["narrator"]
            narrator = Narrator.objects.create(
                name=name, birth_year=born, hometown=town, occupation=job,
                anonymised=spec.get("anonymised", False),
                label=name if spec.get("anonymised") else "",
            )  # fmt: skip
            place, _ = Place.objects.get_or_create(
                name=spec["place"][0],
                defaults={"latitude": spec["place"][1], "longitude": spec["place"][2]},
            )
            duration = len(spec["lines"]) * CUE_SECONDS
            interview = Interview.objects.create(
                accession_number=spec["accession"], title=spec["title"],
                interview_date=spec["date"], duration_seconds=duration, language="普通话",
                summary=spec["summary"], keywords=spec["keywords"], collection=collection,
                series=series if "工业" in spec["subjects"] else None, interviewers=["王丽"],
                recording_details="Zoom H5 录音机，受访人家中", year_from=spec["years"][0],
                year_to=spec["years"][1], access_level=spec["level"],
                embargo_until=spec.get("embargo"), published=True,
                rights_statement="© 辽宁省图书馆。仅供个人学习研究使用，引用请注明出处。",
            )  # fmt: skip
            interview.narrators.add(narrator)
            interview.places.add(place)
            for subject_name in spec["subjects"]:
                subject, _ = Subject.objects.get_or_create(
                    name=subject_name, defaults={"slug": subject_name}
                )
                interview.subjects.add(subject)
            for start, title, synopsis, keywords in spec["segments"]:
                points = spec.get("gps", []) if start == 0 else []
                gps = [{"lat": lat, "lng": lng, "zoom": 13, "text": label}
                       for lat, lng, label in points]  # fmt: skip
                interview.segments.create(
                    start=start, title=title, synopsis=synopsis, keywords=keywords,
                    partial_transcript=spec["lines"][start // CUE_SECONDS][1], gps_points=gps,
                )  # fmt: skip
            stored = store_file(
                content=ContentFile(_tone(Path(tmp), duration, index)),
                original_name=f"{spec['accession']}.mp3",
                content_type="audio/mpeg",
                prefix="oral-history/masters",
            )
            asset = MediaAsset.objects.create(original=stored, kind="audio", format="mp3")
            pipeline.run(asset.pk)
            item = services.attach_recording(interview=interview, asset=asset, user=archivist)
            services.save_transcript(interview=interview, vtt=_vtt(spec["lines"]), user=archivist)
            interview.consents.create(
                narrator=narrator, signed_on=spec["date"], scope=["archive", "online", "research"],
                verbal_consent_at=2.0,
            )  # fmt: skip
            if "redact" in spec and archivist is not None:
                start, end, reason = spec["redact"]
                services.add_redaction(interview=interview, start=start, end=end, reason=reason,
                                       user=archivist)  # fmt: skip
                build_redacted_copy(str(item.pk))
            done.append(interview.accession_number)
    return [f"{len(done)} interviews: {', '.join(done)}"]
