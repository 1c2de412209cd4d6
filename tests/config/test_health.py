import pytest


def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_missing_model(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failures"] == {"model": "no active model version"}
