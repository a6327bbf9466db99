"""Who may read a stored file, beyond its owner: policies registered by the apps that use files.

media cannot know that a moderator may preview a work awaiting review, or that a reader holds a
grant for an oral-history interview; the apps that know register a policy here.
"""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser

from accounts.models import User

from .models import StoredFile

Policy = Callable[[User | AnonymousUser, StoredFile], bool]
_policies: list[Policy] = []


def register(policy: Policy) -> Policy:
    if policy not in _policies:
        _policies.append(policy)
    return policy


def granted_by_policy(user: User | AnonymousUser, stored_file: StoredFile) -> bool:
    return any(policy(user, stored_file) for policy in _policies)
