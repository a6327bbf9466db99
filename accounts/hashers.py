"""How readers' passwords are stored.

Argon2id with the parameters OWASP's Password Storage Cheat Sheet gives as its first choice
(19 MiB of memory, two passes, one lane). Django's own Argon2 settings use 100 MiB and eight
lanes, and its PBKDF2 a million rounds: about half a second of a core for every sign-in, which a
class of thirty or the minute registration opens (hundreds of readers signing in at once) turns
into a queue. This costs about a fifth of that with the same resistance OWASP asks for. Hashes
made earlier are re-made with it at the reader's next sign-in (Django's hasher upgrade).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # the same encoded form as Django's, so either can verify the other
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
