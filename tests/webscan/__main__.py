"""``python -m tests.webscan``: an automated web scanner (wapiti) against the demo practice.

The demo is seeded in a fresh data directory and served by ``confide serve`` on 127.0.0.1,
exactly as the README's main command does. Wapiti then attacks it three ways:

- ``public``: the pages anyone reaches (sign-in, enrolment), signed out;
- ``pages``: the web application signed in, once as a clinician, a client and a privacy officer
  (the session cookie is passed to the scanner; sign-out is left out of its crawl);
- ``api``: every operation in the OpenAPI description, with an integration token of the
  clinician's.

Any finding (a vulnerability, or an anomaly such as a 5xx answer) fails the run. The run ends
with one JSON line of its figures. ``--full`` runs every attack module without a time limit;
the default is CI's bounded size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from confide.policy.authentication import Scope
from tests.browser.demo_server import Demo, served_demo

# The modules CI runs: injections, cross-site scripting (reflected and stored), open redirects,
# header and cookie checks, CSRF on forms, path traversal, command execution, CRLF, XXE.
CI_MODULES = (
    "xss,permanentxss,sql,exec,file,crlf,redirect,csrf,http_headers,cookieflags,xxe,methods"
)
# The long run adds the slow ones: blind time-based SQL injection, SSRF (its endpoint is
# unreachable offline, so it tests only what it can), brute-force of known paths, and so on.
FULL_MODULES = CI_MODULES + ",timesql,ssrf,backup,htaccess,nikto,buster,shellshock,ldap"

# Wapiti's informational categories that are expected from a local scan over plain HTTP: the
# scanner runs against http://127.0.0.1, where HSTS means nothing to a browser and cookies
# cannot be checked for ``Secure`` being enforced by the transport. They are printed, not failed.
INFORMATIONAL = frozenset({"Fingerprinting"})
# The fewest pages each kind of scan must crawl (the demo offers 15 signed out, 35 to 86 signed
# in, 64 API operations and documents); fewer means the scanner attacked almost nothing.
MIN_PAGES = {"public": 5, "pages": 20, "api": 30}


@dataclass
class ScanResult:
    """What one wapiti run found."""

    name: str
    seconds: float
    requests: int = 0
    vulnerabilities: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    anomalies: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def findings(self) -> list[tuple[str, str, dict[str, object]]]:
        """Every vulnerability and anomaly as (kind, category, detail)."""
        out = []
        for kind, table in (("vulnerability", self.vulnerabilities), ("anomaly", self.anomalies)):
            for category, items in table.items():
                if category in INFORMATIONAL:
                    continue
                out += [(kind, category, item) for item in items]
        return out


def _sign_in(demo: Demo, name: str) -> httpx.Client:
    client = httpx.Client(base_url=demo.base, timeout=30)
    login = demo.logins[name]
    answer = client.post(
        "/api/v1/auth/sign-in",
        json={"name": name, "password": login["password"], "code": demo.code(name) or None},
    )
    answer.raise_for_status()
    return client


def _session_cookie(client: httpx.Client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _issue_token(client: httpx.Client) -> str:
    answer = client.post(
        "/api/v1/tokens",
        json={"name": "web scanner", "scopes": [s.value for s in Scope], "expires_in_days": 1},
        headers={
            # httpx keeps ``Secure`` cookies off plain http; the demo is served on 127.0.0.1.
            "Cookie": _session_cookie(client),
            "X-CSRF-Token": client.cookies.get("__Host-confide_csrf") or "",
        },
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


@dataclass(frozen=True)
class Scanner:
    """How wapiti is run: the program, the served demo, the modules and the time limit."""

    wapiti: str
    base: str
    out: Path
    modules: str
    limit: int  # seconds per scan; 0 for none


def _wapiti(scanner: Scanner, name: str, extra: list[str]) -> ScanResult:
    base, out, limit = scanner.base, scanner.out, scanner.limit
    report = out / f"{name}.json"
    args = [
        scanner.wapiti, "-u", f"{base}/", "--scope", "folder", "-m", scanner.modules,
        "-f", "json", "-o", str(report), "--flush-session",
        "--store-session", str(out / "session"), "--store-config", str(out / "config"),
        "-x", f"{base}/sign-out", "-x", f"{base}/api/v1/auth/sign-out",
        "--no-bugreport", "-v", "0", "--tasks", "8", "-t", "15", "-d", "6",
        *extra,
    ]  # fmt: skip
    if limit:
        args += ["--max-scan-time", str(limit), "--max-attack-time", str(max(limit // 4, 10))]
    started = time.monotonic()
    run = subprocess.run(
        args, check=False, capture_output=True, text=True, timeout=(limit or 36000) + 600
    )
    seconds = time.monotonic() - started
    if not report.exists():
        raise SystemExit(f"wapiti wrote no report for {name}:\n{run.stdout[-2000:]}{run.stderr}")
    data = json.loads(report.read_text(encoding="utf-8"))
    infos = data.get("infos", {})
    return ScanResult(
        name=name,
        seconds=seconds,
        requests=int(infos.get("crawled_pages_nbr", 0) or 0),
        vulnerabilities={k: v for k, v in data.get("vulnerabilities", {}).items() if v},
        anomalies={k: v for k, v in data.get("anomalies", {}).items() if v},
    )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    """Seed and serve the demo, scan it, print the findings; non-zero if anything was found."""
    ap = argparse.ArgumentParser(prog="python -m tests.webscan", description=__doc__)
    ap.add_argument("--wapiti", default=os.environ.get("WAPITI", "wapiti"))
    ap.add_argument("--full", action="store_true", help="every module, no time limit")
    ap.add_argument("--seconds", type=int, default=60, help="time limit per scan (bounded run)")
    ns = ap.parse_args(argv)
    modules = FULL_MODULES if ns.full else CI_MODULES
    limit = 0 if ns.full else ns.seconds
    results: list[ScanResult] = []
    with tempfile.TemporaryDirectory(prefix="confide-webscan-") as tmp:
        root = Path(tmp)
        with served_demo(root) as demo:
            out = root / "reports"
            out.mkdir()
            scanner = Scanner(ns.wapiti, demo.base, out, modules, limit)
            results.append(_wapiti(scanner, "public", []))
            signed_in = {n: _sign_in(demo, n) for n in ("clin-a", "client-demo-001", "privacy-001")}
            token = _issue_token(signed_in["clin-a"])
            for name, client in signed_in.items():
                extra = ["-H", f"Cookie: {_session_cookie(client)}", "-s", f"{demo.base}/"]
                results.append(_wapiti(scanner, f"pages-{name}", extra))
            extra = [
                "--swagger",
                f"{demo.base}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
            ]
            results.append(_wapiti(scanner, "api", extra))
    found = [(r.name, *f) for r in results for f in r.findings()]
    # A scan that reached almost nothing (a session not accepted, the server refusing) would
    # find nothing and pass: each must have crawled at least what a signed-out visitor sees.
    found += [
        (r.name, "coverage", "too few pages", {"info": f"only {r.requests} crawled"})
        for r in results
        if r.requests < MIN_PAGES.get(r.name.split("-")[0], 0)
    ]
    for r in results:
        vulnerabilities = sum(len(v) for v in r.vulnerabilities.values())
        anomalies = sum(len(v) for v in r.anomalies.values())
        _say(
            f"{r.name:24} {r.seconds:7.1f} s  {r.requests:5d} pages crawled  "
            f"{vulnerabilities} vulnerabilities  {anomalies} anomalies"
        )
    for scan, kind, category, detail in found:
        where = f"{detail.get('method')} {detail.get('path')} {detail.get('parameter') or ''}"
        _say(f"FOUND [{scan}] {kind}: {category}: {where} - {detail.get('info')}")
    figures = {
        "scans": len(results),
        "modules": modules.split(","),
        "full": ns.full,
        "pages_crawled": sum(r.requests for r in results),
        "seconds": round(sum(r.seconds for r in results), 1),
        "findings": len(found),
    }
    _say(json.dumps(figures))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
