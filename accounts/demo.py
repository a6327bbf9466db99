"""Demo accounts, one per role (loaded by ``seed_demo``)."""

from allauth.account.models import EmailAddress

from . import roles, services
from .models import AudienceGroup, User

DEMO_PASSWORD = "Liaotu-demo-2026"  # noqa: S105 - printed on purpose by `make run`

DEMO_ACCOUNTS = [
    (roles.READER, "reader@demo.liaotu.cn", "王秀兰", AudienceGroup.SENIOR),
    (roles.MAKER, "maker@demo.liaotu.cn", "李创", AudienceGroup.ADULT),
    (roles.TECHNICIAN, "technician@demo.liaotu.cn", "赵技师", ""),
    (roles.MODERATOR, "moderator@demo.liaotu.cn", "孙审核", ""),
    (roles.ARCHIVIST, "archivist@demo.liaotu.cn", "周档案", ""),
    (roles.LIBRARIAN_ADMIN, "librarian@demo.liaotu.cn", "陈馆员", ""),
]


def seed() -> list[str]:
    lines = []
    for role, email, name, audience in DEMO_ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.create_account(
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                audience_group=audience,
            )
        else:
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"primary": True, "verified": True}
            )
            services.assign_role(user=user, role=role)
        if role == roles.LIBRARIAN_ADMIN and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        lines.append(f"{role:16} {email:28} {DEMO_PASSWORD}")
    return lines
