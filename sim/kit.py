"""``relay-kit``: the conformance kit from a terminal or a vendor's CI (design §8b).

    relay-kit scenarios                              what each scenario expects of a HIS
    relay-kit token H11000000001                     the token the HIS signs its x-tif headers with
    relay-kit open H11000000001 [--scenario S ...]   open a session (prints its number)
    relay-kit report N [--html FILE] [--wait S]      the verdict; exit 0 only on pass
    relay-kit close N                                stop recording, remove its forced outcomes
    relay-kit sim H11000000001 [--fault F ...]       drive the simulated HIS (sim/his.py)
    relay-kit run H11000000001 [--fault F ...]       open, drive the simulated HIS, report, close

Exit codes: 0 pass, 1 fail (or still pending when the wait ends), 2 the platform could not be
reached or refused the command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import httpx

from shared.auth import institution_token
from shared.operator_access import operator_headers
from shared.settings import DEV_OPERATOR_TOKEN
from sim.his import FAULTS, Faults, KitHospital, Refused

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class KitError(Exception):
    """The platform answered something other than what the command needs."""


class Kit:
    def __init__(self, http: httpx.Client, treating_url: str, token: str) -> None:
        self._http = http
        self._url = treating_url.rstrip("/")
        self._headers = operator_headers(token)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"{self._url}{path}", headers=self._headers, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
                message = f"{body.get('err_code')} {body.get('err_msg')}"
            except ValueError:
                message = response.text[:300]
            raise KitError(f"{method} {path}: HTTP {response.status_code} {message}")
        return response.json() if "json" in response.headers.get("content-type", "") else response

    def scenarios(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/conformance/scenarios")
        return found

    def open(
        self,
        fixmedins_code: str,
        scenarios: list[str] | None,
        lost_reply_minutes: float,
        slow_reply_seconds: float,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "fixmedins_code": fixmedins_code,
            "lost_reply_minutes": lost_reply_minutes,
            "slow_reply_seconds": slow_reply_seconds,
        }
        if scenarios:
            body["scenarios"] = scenarios
        opened: dict[str, Any] = self._call("POST", "/conformance/sessions", json=body)
        return opened

    def report(self, session: int) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/conformance/sessions/{session}/report")
        return found

    def report_html(self, session: int) -> str:
        response = self._call(
            "GET", f"/conformance/sessions/{session}/report", params={"format": "html"}
        )
        return str(response.text)

    def close(self, session: int) -> dict[str, Any]:
        closed: dict[str, Any] = self._call("POST", f"/conformance/sessions/{session}/close")
        return closed


def summary(report: dict[str, Any]) -> str:
    mark = {"pass": "PASS", "fail": "FAIL", "pending": "PENDING"}
    lines = [
        f"session {report['session']} · {report['fixmedins_code']} · {report['calls']} calls, "
        f"{report['reads']} reads · verdict {report['verdict'].upper()}"
    ]
    for s in report["scenarios"]:
        evidence = f" [{', '.join(s['evidence'])}]" if s["evidence"] else ""
        lines.append(f"  {mark[s['status']]:<7} {s['name']:<18} {s['reason']}{evidence}")
    for c in report["checks"]:
        if c["findings"]:
            lines.append(f"  FAIL    check {c['rule']}: {c['title']}")
            lines += [
                f"            {f['msgid']} ({f['infno']}) {f['field']}: expected {f['expected']},"
                f" got {f['got']}"
                for f in c["findings"][:10]
            ]
    for e in report["errors_answered"]:
        lines.append(f"  answered {e['code']} ×{e['count']}: {e['message']}  → {e['help']}")
    return "\n".join(lines)


def wait_for_verdict(kit: Kit, session: int, wait_s: float) -> dict[str, Any]:
    """The report, asked again until no scenario is pending or ``wait_s`` has passed."""
    deadline = time.monotonic() + wait_s
    while True:
        report = kit.report(session)
        pending = any(s["status"] == "pending" for s in report["scenarios"])
        if not pending or time.monotonic() >= deadline:
            return report
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def _hospital_secret() -> str:
    """The deployment's ``TREATING_REGION_HOSPITAL_SECRET``, as the simulator reads it."""
    return os.environ.get("RELAY_HOSPITAL_SECRET", "dev-hospital-secret")


def drive_sim(args: argparse.Namespace, http: httpx.Client) -> KitHospital:
    his = KitHospital(
        http=http,
        treating_url=args.treating_url,
        insured_url=args.insured_url,
        fixmedins_code=args.institution,
        treating=args.treating,
        insured=args.insured,
        secret=_hospital_secret(),
        operator_token=args.insured_token,
        faults=Faults.named(args.fault),
    )
    try:
        his.run()
    finally:
        for line in his.log:
            print(f"  his: {line}", file=sys.stderr)
    return his


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relay-kit", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--treating-url", default=os.environ.get("RELAY_TREATING_URL", "http://127.0.0.1:8001")
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("RELAY_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN),
        help="the treating region's operator token (RELAY_OPERATOR_TOKEN)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scenarios", help="list the scenarios")
    token = sub.add_parser("token", help="the institution's signing token (x-tif headers)")
    token.add_argument("institution")
    for name in ("open", "run"):
        p = sub.add_parser(name, help="open a session" if name == "open" else "the whole round")
        p.add_argument("institution", help="fixmedins_code of the HIS under test")
        p.add_argument("--scenario", action="append", help="a scenario (repeat); golden if none")
        p.add_argument("--all", action="store_true", help="every scenario, negative ones too")
        p.add_argument("--lost-reply-minutes", type=float, default=10.0)
        p.add_argument(
            "--slow-reply-seconds",
            type=float,
            default=35.0,
            help="how long the timeout scenario holds a settlement's answer",
        )
    for name in ("report", "close"):
        p = sub.add_parser(name, help=f"{name} a session")
        p.add_argument("session", type=int)
        if name == "report":
            p.add_argument("--html", help="also write the HTML report to this file")
            p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for pending")
    for name in ("sim", "run"):
        p = sub.choices[name] if name in sub.choices else sub.add_parser(name)
        if name == "sim":
            p.add_argument("institution")
        p.add_argument("--fault", action="append", default=[], choices=FAULTS)
        p.add_argument("--treating", default="110000", help="the HIS's region (mdtrtarea_admvs)")
        p.add_argument("--insured", default="650100", help="where its patients are insured")
        p.add_argument(
            "--insured-url", default=os.environ.get("RELAY_INSURED_URL", "http://127.0.0.1:8003")
        )
        p.add_argument(
            "--insured-token",
            default=os.environ.get("RELAY_INSURED_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN),
            help="to enrol the simulated patients at the insured region",
        )
        if name == "run":
            p.add_argument("--html", help="also write the HTML report to this file")
            p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for pending")
    return parser


def _verdict(kit: Kit, session: int, args: argparse.Namespace) -> int:
    report = wait_for_verdict(kit, session, args.wait)
    print(summary(report))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as out:
            out.write(kit.report_html(session))
        print(f"HTML report: {args.html}")
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_FAIL


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":  # x-tif-signature = sha256(timestamp + token + nonce + timestamp)
        print(institution_token(_hospital_secret(), args.institution))
        return EXIT_PASS
    # the simulated HIS waits out a held answer (the timeout scenario) rather than hang up
    timeout = 60 + float(getattr(args, "slow_reply_seconds", 0) or 0)
    with httpx.Client(timeout=timeout, trust_env=False) as http:
        kit = Kit(http, args.treating_url, args.token)
        try:
            if args.command == "scenarios":
                for s in kit.scenarios():
                    print(f"{s['name']:<18} {s['kind']:<8} {s['title']}：{s['expects']}")
                return EXIT_PASS
            if args.command in ("open", "run"):
                names = [s["name"] for s in kit.scenarios()] if args.all else args.scenario
                opened = kit.open(
                    args.institution, names, args.lost_reply_minutes, args.slow_reply_seconds
                )
                print(f"session {opened['id']} open for {args.institution}: "
                      f"{', '.join(opened['scenarios'])}")  # fmt: skip
                if args.command == "open":
                    return EXIT_PASS
                try:
                    drive_sim(args, http)
                    return _verdict(kit, opened["id"], args)
                except Refused as refused:
                    print(f"the simulated HIS stopped: {refused}", file=sys.stderr)
                    return _verdict(kit, opened["id"], args)
                finally:
                    kit.close(opened["id"])
            if args.command == "report":
                return _verdict(kit, args.session, args)
            if args.command == "close":
                kit.close(args.session)
                print(f"session {args.session} closed")
                return EXIT_PASS
            drive_sim(args, http)
            return EXIT_PASS
        except (KitError, httpx.HTTPError) as exc:
            print(f"relay-kit: {exc}", file=sys.stderr)
            return EXIT_ERROR


def main() -> None:
    sys.exit(run())
