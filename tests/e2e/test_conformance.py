"""The conformance kit against the running relay (issue 18; design §8b): the simulated HIS passes
every scenario, a deliberately broken one fails exactly the checks it should, and forced
outcomes are rules kept as data, marked on the messages they touched.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.auth import signed_headers
from sim import kit
from sim.his import Faults, KitHospital
from tests.e2e.harness import (
    GATEWAY,
    OPERATOR,
    OPERATOR_TOKEN,
    Stack,
    envelope_1101,
    new_msgid,
    signed,
)

pytestmark = pytest.mark.e2e

GOOD, BROKEN, RULED = "H11000000003", "H11000000004", "H11000000002"
"""One institution per test: an institution is under one session at a time."""
SECRET_ENV = "RELAY_E2E_HOSPITAL_SECRET"


def his(http: httpx.Client, stack: Stack, code: str, faults: Faults) -> KitHospital:
    return KitHospital(
        http=http,
        treating_url=stack.treating_url,
        insured_url=stack.insured_url,
        fixmedins_code=code,
        treating="110000",
        insured="650100",
        secret=os.environ.get(SECRET_ENV, "dev-hospital-secret"),
        operator_token=OPERATOR_TOKEN,
        faults=faults,
    )


@pytest.fixture
def session_of(http: httpx.Client, stack: Stack) -> Iterator[Any]:
    opened: list[int] = []

    def open_(code: str, **body: Any) -> dict[str, Any]:
        response = http.post(
            f"{stack.treating_url}/conformance/sessions",
            json={"fixmedins_code": code, **body},
            headers=OPERATOR,
        )
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        opened.append(session["id"])
        return session

    yield open_
    for session_id in opened:
        http.post(f"{stack.treating_url}/conformance/sessions/{session_id}/close", headers=OPERATOR)


def report(http: httpx.Client, stack: Stack, session_id: int, fmt: str = "json") -> Any:
    response = http.get(
        f"{stack.treating_url}/conformance/sessions/{session_id}/report",
        params={"format": fmt},
        headers=OPERATOR,
    )
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else response.text


def message(http: httpx.Client, stack: Stack, msgid: str) -> dict[str, Any]:
    response = http.get(f"{stack.treating_url}/admin/messages/{msgid}", headers=OPERATOR)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_the_simulated_his_passes_every_scenario(
    http: httpx.Client, stack: Stack, session_of: Any
) -> None:
    session = session_of(GOOD, scenarios=kit_scenarios(http, stack), slow_reply_seconds="1")
    armed = {(r["scenario"], r["action"], r["err_code"], r["delay_s"]) for r in session["armed"]}
    assert armed == {
        ("no_filing", "error", "E2001", None),
        ("unknown_person", "error", "E1001", None),
        ("lost_reply", "lose_reply", None, None),
        ("timeout", "lose_reply", None, "1.00"),
    }

    client = his(http, stack, GOOD, Faults())
    client.run()
    found = report(http, stack, session["id"])

    assert {s["name"]: s["status"] for s in found["scenarios"]} == dict.fromkeys(
        kit_scenarios(http, stack), "pass"
    )
    assert [c["rule"] for c in found["checks"] if c["findings"]] == []
    assert found["verdict"] == "pass"
    assert found["calls"] == sum(1 for line in client.log if not line.startswith(("read", "fil")))
    assert found["reads"] == sum(1 for line in client.log if line.startswith("read"))
    # each forced outcome is marked on the message it touched, never taken for a real fault
    forced = {x["forced"].split(" (")[1].rstrip(")"): x for x in found["forced"]}
    assert set(forced) == {"no_filing", "unknown_person", "lost_reply", "timeout"}
    for scenario in ("lost_reply", "timeout"):
        lost = message(http, stack, forced[scenario]["msgid"])
        assert (lost["status"], lost["forced"]) == ("ok", forced[scenario]["forced"])
        assert lost["output"]["setlinfo"]["setl_id"]  # committed; the hospital heard E5002
        verdict = next(s for s in found["scenarios"] if s["name"] == scenario)
        assert verdict["evidence"][0] == forced[scenario]["msgid"]
    refused = message(http, stack, forced["no_filing"]["msgid"])
    assert (refused["status"], refused["err_code"]) == ("error", "E2001")
    assert {e["code"] for e in found["errors_answered"]} == {"E1001", "E2001", "E5002"}

    closed = http.post(
        f"{stack.treating_url}/conformance/sessions/{session['id']}/close", headers=OPERATOR
    )
    assert closed.json()["closed_at"]
    rules = http.get(
        f"{stack.treating_url}/admin/conformance/rules",
        params={"fixmedins_code": GOOD},
        headers=OPERATOR,
    ).json()
    assert [r for r in rules if r["session_id"] == session["id"]] == []


def kit_scenarios(http: httpx.Client, stack: Stack) -> list[str]:
    listed = http.get(f"{stack.treating_url}/conformance/scenarios").json()
    return [s["name"] for s in listed]


def test_a_broken_his_fails_exactly_the_checks_it_should(
    http: httpx.Client, stack: Stack, session_of: Any
) -> None:
    session = session_of(
        BROKEN,
        scenarios=kit_scenarios(http, stack),
        lost_reply_minutes="0.02",
        slow_reply_seconds="1",
    )
    client = his(
        http, stack, BROKEN, Faults(reuse_msgid=True, ignore_lost_reply=True, omit_insuplc=True)
    )
    client.run()
    deadline = time.monotonic() + 15
    while True:
        found = report(http, stack, session["id"])
        statuses = {s["name"]: s["status"] for s in found["scenarios"]}
        if "pending" not in statuses.values() or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    failed = {name for name, status in statuses.items() if status == "fail"}
    assert failed == {"no_filing", "unknown_person", "lost_reply", "timeout", "duplicate_msgid"}
    assert {n for n, s in statuses.items() if s != "fail"} == {
        n for n, s in statuses.items() if s == "pass"
    }  # every golden flow still passes: the kit faults the client, not the flows
    broken = {c["rule"]: c["findings"] for c in found["checks"] if c["findings"]}
    assert set(broken) == {"insuplc_with_psn_no", "msgid_reuse"}
    assert {f["field"] for f in broken["insuplc_with_psn_no"]} == {"insuplc_admdvs"}
    assert {f["infno"] for f in broken["insuplc_with_psn_no"]} >= {"2204", "2206", "2207"}
    reused = {f["msgid"] for f in broken["msgid_reuse"]}
    assert len(reused) == 2  # the E1001's and the E2001's, each resent with another body
    assert found["verdict"] == "fail"
    reasons = {s["name"]: s["reason"] for s in found["scenarios"]}
    assert "E9004" in reasons["no_filing"]
    assert "既未查询结果也未发送 2601" in reasons["lost_reply"]

    page = report(http, stack, session["id"], "html")
    assert "未通过" in page
    assert "href='/conformance/errors#E9004'" in page
    assert reasons["lost_reply"] in page
    help_page = http.get(f"{stack.treating_url}/conformance/errors").text
    assert "id='E9004'" in help_page


def test_relay_kit_exits_by_the_verdict(
    http: httpx.Client,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RELAY_HOSPITAL_SECRET", os.environ.get(SECRET_ENV, "dev-hospital-secret"))
    common = ["--treating-url", stack.treating_url, "--token", OPERATOR_TOKEN]
    sim = ["--insured-url", stack.insured_url, "--insured-token", OPERATOR_TOKEN]
    passed = kit.run([*common, "run", GOOD, "--all", "--slow-reply-seconds", "1", *sim])
    out = capsys.readouterr().out
    failed = kit.run(
        [*common, "run", BROKEN, "--scenario", "duplicate_msgid", "--fault", "reuse_msgid",
         "--scenario", "no_filing", *sim]
    )  # fmt: skip
    out_failed = capsys.readouterr().out
    unreachable = kit.run(["--treating-url", "http://127.0.0.1:9", "scenarios"])
    assert kit.run(["token", GOOD]) == 0
    token = capsys.readouterr().out.strip()

    assert (passed, failed, unreachable) == (0, 1, 2), out + out_failed
    assert "verdict PASS" in out
    # the token a vendor's HIS signs with is the one the gateway checks
    headers = signed_headers(GOOD, token, str(int(time.time() * 1000)))
    assert (
        http.get(f"{stack.treating_url}/fsi/messages/{GOOD}0", headers=headers).status_code == 404
    )
    assert re.search(r"FAIL\s+duplicate_msgid", out_failed)
    # the run closed its sessions: nothing of theirs is left armed
    rules = http.get(f"{stack.treating_url}/admin/conformance/rules", headers=OPERATOR).json()
    assert [r for r in rules if r["fixmedins_code"] in (GOOD, BROKEN) and r["session_id"]] == []


def call(http: httpx.Client, stack: Stack, envelope: dict[str, Any]) -> dict[str, Any]:
    response = http.post(
        f"{stack.treating_url}{GATEWAY}",
        json=envelope,
        headers=signed(envelope["fixmedins_code"]),
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def add_rule(http: httpx.Client, stack: Stack, **rule: Any) -> httpx.Response:
    return http.post(
        f"{stack.treating_url}/admin/conformance/rules",
        json={"fixmedins_code": RULED, **rule},
        headers=OPERATOR,
    )


@pytest.fixture
def ruled(http: httpx.Client, stack: Stack) -> Iterator[None]:
    """Whatever a test leaves of its rules is removed: other tests' hospitals call as RULED."""
    yield
    listed = http.get(
        f"{stack.treating_url}/admin/conformance/rules",
        params={"fixmedins_code": RULED},
        headers=OPERATOR,
    ).json()
    for rule in listed:
        http.delete(f"{stack.treating_url}/admin/conformance/rules/{rule['id']}", headers=OPERATOR)


@pytest.mark.usefixtures("ruled")
def test_forced_outcomes_are_rules_kept_as_data(http: httpx.Client, stack: Stack) -> None:
    def query(msgid: str | None = None) -> dict[str, Any]:
        return envelope_1101(
            treating="110000",
            insured="990000",  # no such region: the real answer would be E5001
            certno="11010519491231002X",
            fixmedins_code=RULED,
            msgid=msgid or new_msgid(RULED),
        )

    error = add_rule(http, stack, action="error", infnos=["1101"], err_code="E1002", times=1)
    assert error.status_code == 201, error.text
    first = query()
    answer = call(http, stack, first)
    assert answer["err_code"] == "E1002"
    stored = message(http, stack, first["msgid"])
    assert (stored["status"], stored["forced"]) == ("error", f"rule {error.json()['id']}: error")
    assert call(http, stack, query())["err_code"] == "E5001"  # used up: the real outcome again

    hub = add_rule(http, stack, action="refuse_at_hub", infnos=["1101"], times=1).json()
    refused = query()
    assert call(http, stack, refused)["err_code"] == "E5003"
    # as for a real E5003, nothing happened: the same msgid may be sent again
    assert call(http, stack, refused)["err_code"] == "E5001"

    # a reply to lose needs a call that commits: a refusal keeps its answer, the rule its use
    lose = add_rule(http, stack, action="lose_reply", infnos=["1101"], times=1).json()
    kept = query()
    assert call(http, stack, kept)["err_code"] == "E5001"
    assert message(http, stack, kept["msgid"])["forced"] is None
    rules = http.get(
        f"{stack.treating_url}/admin/conformance/rules",
        params={"fixmedins_code": RULED},
        headers=OPERATOR,
    ).json()
    assert next(r["remaining"] for r in rules if r["id"] == lose["id"]) == 1
    http.delete(f"{stack.treating_url}/admin/conformance/rules/{lose['id']}", headers=OPERATOR)

    delay = add_rule(http, stack, action="delay", infnos=["1101"], delay_s="1.5").json()
    started = time.monotonic()
    slow = query()
    assert call(http, stack, slow)["err_code"] == "E5001"
    assert time.monotonic() - started >= 1.5
    assert message(http, stack, slow["msgid"])["forced"] == f"rule {delay['id']}: delay"

    listed = http.get(
        f"{stack.treating_url}/admin/conformance/rules",
        params={"fixmedins_code": RULED},
        headers=OPERATOR,
    ).json()
    remaining = {r["id"]: r["remaining"] for r in listed}
    assert remaining[error.json()["id"]] == remaining[hub["id"]] == 0
    assert remaining[delay["id"]] is None
    for rule_id in remaining:
        gone = http.delete(
            f"{stack.treating_url}/admin/conformance/rules/{rule_id}", headers=OPERATOR
        )
        assert gone.status_code == 200
    again = http.delete(
        f"{stack.treating_url}/admin/conformance/rules/{delay['id']}", headers=OPERATOR
    )
    assert again.status_code == 404


@pytest.mark.usefixtures("ruled")
@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"action": "error"}, "err_code"),
        ({"action": "error", "err_code": "E0000"}, "err_code"),
        ({"action": "refuse_at_hub", "err_code": "E2001"}, "err_code"),
        ({"action": "delay"}, "delay_s"),
        ({"action": "explode"}, "action"),
        ({"action": "lose_reply", "min_amount": "10", "max_amount": "1"}, "min_amount"),
    ],
)
def test_a_rule_that_cannot_be_understood_is_refused_naming_the_field(
    http: httpx.Client, stack: Stack, rule: dict[str, Any], field: str
) -> None:
    refused = add_rule(http, stack, **rule)
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["err_msg"]
