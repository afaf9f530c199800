#!/usr/bin/env python3
"""Two builds of vink alternated on one database, so the machine's noise
falls on both: each round starts build A, then build B, on the same data and
measures the same pages with wrk at 1 and 16 connections (bench/load.py's
helpers). Prints p50 and requests/s per round, `A / B` side by side.

    bench/ab.py DATABASE_URL BIN_A BIN_B [ROUNDS]
    bench/ab.py URL_A,URL_B BIN_A BIN_B [ROUNDS]   # B migrates its own copy

Environment: VINK_KEYS_FILE (the data set's keys), SECS (seconds a run, 6),
CASES=more (course list, audit by record, follow-ups, list by receipt
instead of the concern lists and the dashboard), CASES=detail (a concern's
detail, one of list page 1's 100 at random), EXTRA=--demo (the demo's
users; the server starts with --demo). Reads add audit rows to the database:
run it on a copy that can grow. Never run by the tests.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VINK_BENCH_SECONDS", os.environ.get("SECS", "6"))
import load  # noqa: E402


def main():
    # One database for both, or `URL_A,URL_B` when B's migrations would
    # change A's schema (copies of one data set).
    dbs = sys.argv[1].split(",")
    bins = {"A": sys.argv[2], "B": sys.argv[3]}
    dbs = {"A": dbs[0], "B": dbs[-1]}
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    os.environ["VINK_CHECKPOINT_FILE"] = tempfile.mktemp(suffix=".jsonl")
    demo = "--demo" in os.environ.get("EXTRA", "")
    sek, auditor, pw = (
        ("sekretariat", "revisor", "vink-demo-2026") if demo else ("sek.0", "revisor.0", "bench-data-2026")
    )
    res = {}
    for r in range(rounds):
        for name in ("A", "B"):
            b, db = bins[name], dbs[name]
            serve = [b, "--database", db, "serve", "--listen", f"127.0.0.1:{load.PORT}"]
            # No retention sweep: it deletes concerns a run may be reading
            # (the demo holds some past their time; 404s in a detail run).
            serve += ["--retention-unfounded-months", "0"] + (["--demo"] if demo else [])
            server = subprocess.Popen(
                serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "VINK_LOG": "warn"}
            )
            try:
                for _ in range(600):
                    try:
                        if load.http("GET", "/healthz/live")[0] == 200:
                            break
                    except OSError:
                        time.sleep(0.1)
                token = lambda user: subprocess.run(
                    [b, "--database", db, "user", "token", user], capture_output=True, text=True, check=True
                ).stdout.strip().split()[-1]
                tok = token(sek)
                subprocess.run([b, "--database", db, "user", "reset-second-factor", sek], capture_output=True)
                cookie = load.login(sek, pw)
                bearer = [f"Authorization: Bearer {tok}"]
                cases = [
                    ("list page 1", "/api/v1/concerns?per_page=25", bearer),
                    ("filtered: overdue", "/api/v1/concerns?per_page=25&due=overdue", bearer),
                    ("filtered: status received", "/api/v1/concerns?per_page=25&status=received", bearer),
                    ("dashboard (page)", "/dashboard", [f"Cookie: {cookie}"]),
                ]
                if os.environ.get("CASES") == "more":
                    first = json.loads(load.http("GET", "/api/v1/concerns?per_page=1", tok)[2])["items"][0]["id"]
                    cases = [
                        ("course list, page 1", "/api/v1/courses?per_page=25", bearer),
                        ("audit by record", f"/api/v1/audit?record_id={first}&limit=100",
                         [f"Authorization: Bearer {token(auditor)}"]),
                        ("follow-ups worklist", "/api/v1/follow-ups", bearer),
                        ("list by receipt", "/api/v1/concerns?per_page=25&sort=received", bearer),
                    ]
                if os.environ.get("CASES") == "detail":
                    page = json.loads(load.http("GET", "/api/v1/concerns?per_page=100", tok)[2])
                    lua = load.details_lua([c["id"] for c in page["items"]])
                    cases = [("concern detail (audited read)", "/", bearer, lua)]
                for cname, path, headers, *lua in cases:
                    for conns in (1, 16):
                        p50, _p99, rps, bad, _p95 = load.wrk(conns, path, headers, *lua)
                        res.setdefault((cname, conns), {}).setdefault(name, []).append((p50, rps, bad))
            finally:
                server.terminate()
                server.wait()
            print(f"round {r} {name} done", file=sys.stderr)
    print("| case | conns | A p50 ms | B p50 ms | A req/s | B req/s |")
    print("|---|---|---|---|---|---|")
    for (cname, conns), v in res.items():
        p50 = lambda k: " / ".join(f"{x[0]:.2f}" for x in v[k])
        rps = lambda k: " / ".join(f"{x[1]:.0f}" for x in v[k])
        bad = sum(x[2] for k in v for x in v[k])
        note = f" (non-2xx: {bad})" if bad else ""
        print(f"| {cname} | {conns} | {p50('A')} | {p50('B')} | {rps('A')} | {rps('B')} |{note}")


if __name__ == "__main__":
    main()
