import factory
from allauth.account.models import EmailAddress

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    display_name = factory.Sequence(lambda n: f"读者{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


def sign_in(client, email: str, password: str = PASSWORD) -> bool:
    """Sign in through the real login form (axes needs the request that Client.login omits)."""
    client.post("/accounts/login/", {"login": email, "password": password})
    return "_auth_user_id" in client.session


def app_token(client, email: str, password: str = PASSWORD) -> str:
    """Sign in as an app does (allauth's headless API) and return the session token."""
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]
