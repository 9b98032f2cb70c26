import requests


def test_the_sim_fixture_serves_the_stand_in_and_resets_it(sim):
    assert requests.get(sim.base_url + "/fapi/v1/ping", timeout=5).json() == {}
    response = sim.control.signed("GET", "/fapi/v2/balance")
    assert response.status_code == 200
