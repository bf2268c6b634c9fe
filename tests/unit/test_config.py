import pytest

from ainative.config import DEFAULT_JWT_SECRET, Settings


@pytest.mark.parametrize(
    "raw", ["http://a.example,http://b.example", '["http://a.example", "http://b.example"]']
)
def test_allowed_origins_from_the_environment(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", raw)
    assert Settings().allowed_origins == ["http://a.example", "http://b.example"]


def test_development_secret_is_long_enough_for_hs256_but_refused_in_production() -> None:
    assert len(DEFAULT_JWT_SECRET.encode()) >= 32
    problems = Settings(environment="production", jwt_secret_key=DEFAULT_JWT_SECRET)
    assert "JWT_SECRET_KEY is the development default" in problems.production_problems()
