def test_stack_answers_health(api) -> None:
    r = api.get("/api/v1/health")
    assert r.status_code == 200
