def test_health_reports_the_database(client, backend_name):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["database"] == backend_name


def test_a_postman_logs_in_and_sees_themself(client, make, auth):
    postman = make.user("postman")
    response = client.get("/api/auth/me", headers=auth(postman))
    assert response.status_code == 200
    assert response.get_json()["username"] == postman.username
