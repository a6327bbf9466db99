"""Demo pages, navigation and footer (loaded by ``seed_demo``)."""

from datetime import time

from wagtail.models import Page, Site

from core.siteurl import sync_wagtail_site

from .models import (
    FooterLink,
    FooterSettings,
    HomePage,
    NavigationItem,
    NavigationSettings,
    OpeningHoursDay,
    OpeningHoursSettings,
    StandardPage,
)

HOME = {
    "title": "辽图共享空间",
    "hero_title": "欢迎来到辽图共享空间",
    "hero_text": "辽宁省图书馆的公共数字学习与创客平台：在线自主学习、众创空间预约与打印、"
    "辽海往事口述历史，以及读者自己创作的作品。全年 365 天开放，欢迎每一位读者。",
}

SECTIONS = [
    {
        # The learning centre is a page of courses/ at /learn/; this page introduces it.
        "slug": "about-learning",
        "label_en": "Learning",
        "app_url": "/learn/",
        "title": "学习",
        "introduction": "全民自主学习平台：按人群与阶段分类的学习路径、数字素养课程和互动练习。",
        "paragraphs": [
            "无论您是第一次使用智能手机的长辈、准备求职的青年，还是想学编程的中学生，"
            "都能在这里找到适合自己的学习路径。课程分为入门、进阶、提高三个阶段，学习进度自动保存。",
            "数字素养课程同时在线上和馆内开设，馆内课程可在活动日历中预约。",
        ],
        "nav": True,
        "icon": "learn",
        "tile": "学习路径、数字素养课程与互动练习",
    },
    {
        # The maker space itself is the makerspace app at /makerspace/; this page introduces it.
        "slug": "about-makerspace",
        "label_en": "Maker space",
        "app_url": "/makerspace/",
        "title": "创客空间",
        "introduction": "众创空间：3D 打印、录音室、演播室、音乐创作、摄影与手工。",
        "paragraphs": [
            "完成设备培训并获得认证后，您可以预约 3D 打印机、录音室和演播室。"
            "3D 打印任务由馆员审核后自动排队打印，完成后会通知您取件。",
        ],
        "nav": True,
        "icon": "make",
        "tile": "预约设备与工作室，提交 3D 打印任务",
    },
    {
        # The archive itself is the oral_history app at /memories/; this page introduces it.
        "slug": "about-memories",
        "label_en": "Liaohai Memories",
        "app_url": "/memories/",
        "title": "辽海往事",
        "introduction": "辽海往事口述历史档案：听亲历者讲述辽宁的过去。",
        "paragraphs": [
            "我们采访了工人、农民、教师、知青和老手艺人，记录他们的人生与这片土地的变迁。"
            "每段访谈都配有时间码文字稿和内容索引，可按地点、年代、主题和讲述人浏览。",
            "部分访谈依讲述人意愿仅在馆内或经申请后开放。",
        ],
        "nav": True,
        "icon": "memory",
        "tile": "口述历史访谈、文字稿与地图",
    },
    {
        "slug": "works",
        "label_en": "Readers' works",
        "title": "用户作品",
        "introduction": "读者自制的视频、音频、播客、照片、文档和 3D 模型。",
        "paragraphs": [
            "上传您创作的作品，经馆员审核后公开展示，与其他读者交流。"
            "您可以为作品选择知识共享（CC）许可协议。",
        ],
        "nav": True,
        "icon": "works",
        "tile": "读者创作的视频、音频、照片与模型",
    },
    {
        "slug": "visit",
        "label_en": "Opening hours and visiting",
        "title": "开放时间与到馆指南",
        "introduction": "全年 365 天开放。",
        "paragraphs": [
            "周一至周日 9:00–21:00（除夕、春节初一 9:00–16:00）。",
            "地址：辽宁省沈阳市和平区（示例地址）。乘坐地铁 1 号线或 2 号线可到达。"
            "馆内设有无障碍通道和电梯。",
        ],
        "nav": True,
        "icon": "info",
        "tile": None,
    },
    {
        "slug": "accessibility",
        "label_en": "Accessibility",
        "title": "无障碍服务",
        "introduction": "我们希望每一位读者都能方便地使用本网站和图书馆。",
        "paragraphs": [
            "页面顶部的“大字模式”和“高对比度”按钮（手机上在“菜单”里）可以放大文字、提高对比度，"
            "设置会被记住。"
            "所有功能都可以只用键盘操作，音视频提供字幕或文字稿。",
            "如在使用中遇到困难，请拨打服务电话或到一楼服务台寻求帮助。",
        ],
        "nav": False,
        "icon": "info",
        "tile": None,
    },
    {
        "slug": "about",
        "label_en": "About us",
        "title": "关于我们",
        "introduction": "辽图共享空间由辽宁省图书馆建设和运营。",
        "paragraphs": [
            "平台服务于全体公众，包括儿童、老年人、求职者、进城务工人员和残障读者。"
            "所有服务免费，注册只需电子邮箱。",
        ],
        "nav": False,
        "icon": "info",
        "tile": None,
    },
]


def _paragraph_blocks(section: dict) -> list[tuple[str, str]]:
    return [("paragraph", f"<p>{text}</p>") for text in section["paragraphs"]]


def _home_page() -> HomePage:
    site = Site.objects.filter(is_default_site=True).first()
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's installer leaves a placeholder welcome page at the "home" slug.
        for child in root.get_children():
            if child.slug == "home" and not isinstance(child.specific, HomePage):
                child.delete()
        home = HomePage(slug="home", **HOME)
        root.add_child(instance=home)
    else:
        for field, value in HOME.items():
            setattr(home, field, value)
    home.save_revision().publish()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="辽图共享空间"
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = "辽图共享空间"
        site.save()
    sync_wagtail_site()
    return home


def _opening_hours(site: Site) -> None:
    """The library is open every day, 9:00–21:00, as the visitors' page says."""
    hours = OpeningHoursSettings.for_site(site)
    hours.note = "除夕、春节初一 9:00–16:00，其他节假日照常开放。"
    hours.days.all().delete()
    for weekday in range(7):
        hours.days.add(
            OpeningHoursDay(weekday=weekday, opens=time(9), closes=time(21), sort_order=weekday)
        )
    hours.save()


def seed() -> list[str]:
    home = _home_page()
    pages = {}
    for section in SECTIONS:
        page = StandardPage.objects.child_of(home).filter(slug=section["slug"]).first()
        if page is None:
            page = StandardPage(slug=section["slug"], title=section["title"])
            home.add_child(instance=page)
        page.title = section["title"]
        page.introduction = section["introduction"]
        page.body = _paragraph_blocks(section)
        page.save_revision().publish()
        pages[section["slug"]] = page

    tiles = [
        {
            "title": section["title"],
            "description": section["tile"],
            "icon": section["icon"],
            "link": (
                {"page": None, "url": section["app_url"]}
                if "app_url" in section
                else {"page": pages[section["slug"]], "url": ""}
            ),
        }
        for section in SECTIONS
        if section["tile"]
    ]
    home = HomePage.objects.get(pk=home.pk)
    home.body = [
        ("entry_points", {"heading": "从这里开始", "items": tiles}),
        (
            "callout",
            {
                "title": "大字模式",
                "text": (
                    "<p>点击页面顶部的“大字模式”按钮（手机上在“菜单”里）即可放大文字，"
                    "适合老年读者使用。</p>"
                ),
            },
        ),
    ]
    home.save_revision().publish()

    site = Site.objects.get(is_default_site=True)
    navigation = NavigationSettings.for_site(site)
    navigation.items.all().delete()
    items = [
        NavigationItem(
            label=section["title"], label_en=section["label_en"], link_url=section["app_url"]
        )
        if "app_url" in section
        else NavigationItem(
            label=section["title"], label_en=section["label_en"], link_page=pages[section["slug"]]
        )
        for section in SECTIONS
        if section["nav"]
    ]
    # The booking pages are an app, not a page in the tree: linked by URL, after the maker space.
    items.insert(2, NavigationItem(label="预约", label_en="Bookings", link_url="/booking/"))
    items.append(NavigationItem(label="为你推荐", label_en="For you", link_url="/for-you/"))
    for order, item in enumerate(items):
        item.sort_order = order
        navigation.items.add(item)
    # Child rows of a clusterable model are written when the parent is saved.
    navigation.save()
    footer = FooterSettings.for_site(site)
    footer.address = "辽宁省沈阳市和平区（示例地址）"
    footer.opening_hours = "全年 365 天 9:00–21:00"
    footer.phone = "024-0000-0000"
    footer.note = "<p>辽图共享空间 · 辽宁省图书馆</p>"
    footer.links.all().delete()
    for order, slug in enumerate(("about", "accessibility", "visit")):
        footer.links.add(
            FooterLink(
                label=pages[slug].title,
                label_en=next(s["label_en"] for s in SECTIONS if s["slug"] == slug),
                link_page=pages[slug],
                sort_order=order,
            )
        )
    footer.save()
    _opening_hours(site)
    return [f"{len(pages) + 1} pages published under {home.url or '/'}"]
