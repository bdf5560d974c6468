#!/usr/bin/env python3
"""Crash faults (issue 11): `kill -9` of `jianxin` at random points, then checks.

Two kinds of kill, on SQLite and on PostgreSQL:

* **import**: `jianxin import subjects` of a 5,000-subject file on a freshly seeded
  database, killed after a random 0-4 s. Afterwards `jianxin log verify` must pass and
  the log must hold either none or all of the import's events (all or nothing).
* **serve**: `jianxin serve` answering credit checks from 8 client threads, killed after a
  random 0.5-3 s. Every answer a client received (HTTP 200, with its `query_id`) must be
  in the log after the restart (`GET /v1/credit/queries/{id}` answers 200 with the same
  decision): an answer is logged before it is returned, so none may be lost. The log must
  verify, and the read models rebuilt from the log must answer as the ones the killed
  process left.

Usage: scripts/faults.py [--kills N] [--backends sqlite,postgres] [--seed S]
(N kills per kind and backend; the binary is target/debug/jianxin, built first).
Prints one line per kill and a summary; exits 1 on the first violation.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug", "jianxin")
SUBJECT = "91330102MA0000023L"  # a demo subject with list entries


def run(env, *args, check=True):
    r = subprocess.run([BIN, *args], env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"jianxin {' '.join(args)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def events(env):
    """`log verify`: the number of events, failing the run if the log does not verify."""
    r = run(env, "log", "verify", check=False)
    if r.returncode != 0 or not r.stdout.startswith("ok "):
        raise SystemExit(f"VIOLATION: log verify after a kill: exit {r.returncode}: {r.stdout}{r.stderr}")
    return int(r.stdout.split()[1])


class Backend:
    def __init__(self, name, work, pg_url):
        self.name, self.work, self.pg_url, self.n = name, work, pg_url, 0

    def fresh(self):
        """A new, seeded database; its environment."""
        self.n += 1
        env = dict(os.environ)
        env["JIANXIN_KEY_FILE"] = os.path.join(self.work, "faults.key")
        env.pop("JIANXIN_NOW", None)
        if self.name == "sqlite":
            env["JIANXIN_DB"] = os.path.join(self.work, f"faults-{self.n}.db")
        else:
            db = f"jx_faults_{os.getpid()}_{self.n}"
            base = self.pg_url.rsplit("/", 1)[0]
            subprocess.run(["psql", self.pg_url, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True,
                           capture_output=True)
            subprocess.run(["psql", self.pg_url, "-qc", f"CREATE DATABASE {db}"], check=True,
                           capture_output=True)
            env["JIANXIN_DB"] = f"{base}/{db}"
        seeded = run(env, "--format", "json", "demo", "seed")
        return env, json.loads(seeded.stdout)


def kill_import(backend, gen, rng, full):
    env, _ = backend.fresh()
    before = events(env)
    p = subprocess.Popen([BIN, "import", "subjects", gen], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    delay = rng.uniform(0.0, 4.0)
    time.sleep(delay)
    finished = p.poll() is not None
    p.send_signal(signal.SIGKILL)
    p.wait()
    after = events(env)
    added = after - before
    if added not in (0, full):
        raise SystemExit(f"VIOLATION: {backend.name} import killed at {delay:.2f} s left {added} "
                         f"of {full} events (partial import)")
    return f"import killed at {delay:.2f} s: {'finished before' if finished else 'in flight'}, " \
           f"{added} events (0 or {full})"


def token(seed, role):
    for t in seed["tokens"]:
        if t["role"] == role:
            return t["token"]
    raise SystemExit(f"no {role} token in the demo's output")


def start_serve(env):
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--no-scheduler", "--no-webhooks",
                          "--anonymous-rate-per-minute", "0"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if line.startswith("listening on "):
            base = line.split("listening on ", 1)[1].strip()
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
            return p, base
    raise SystemExit("jianxin serve ended before listening")


def get(base, path, tok):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {tok}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def kill_serve(backend, rng):
    env, seed = backend.fresh()
    tok = token(seed, "credit_officer")
    p, base = start_serve(env)
    answered, stop = [], threading.Event()

    def client(i):
        day = 1
        while not stop.is_set():
            day = day % 28 + 1
            path = (f"/v1/credit/check?subject={SUBJECT}&scenario=government_procurement"
                    f"&date=2024-02-{day:02d}")
            try:
                status, body = get(base, path, tok)
            except Exception:
                return  # the server is gone
            if status == 200:
                answered.append((body["query_id"], body["decision"]))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    delay = rng.uniform(0.5, 3.0)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    stop.set()
    for t in threads:
        t.join(timeout=35)
    events(env)
    # every answer given is in the log, as given
    p, base = start_serve(env)
    try:
        for qid, decision in answered:
            status, body = get(base, f"/v1/credit/queries/{qid}", tok)
            if status != 200 or body["answer"]["decision"] != decision:
                raise SystemExit(f"VIOLATION: {backend.name}: answer {qid} ({decision}) was given "
                                 f"but the log says {status} {body}")
        listed_before = get(base, f"/v1/credit/queries?subject={SUBJECT}&limit=1000", tok)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    # the read models rebuilt from the log answer as the ones the killed process left
    run(env, "projections", "rebuild")
    p, base = start_serve(env)
    try:
        listed_after = get(base, f"/v1/credit/queries?subject={SUBJECT}&limit=1000", tok)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    if listed_before != listed_after:
        raise SystemExit(f"VIOLATION: {backend.name}: the query log read model differs from its rebuild")
    return f"serve killed at {delay:.2f} s: {len(answered)} answers given, all in the log"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=25, help="kills per kind and backend")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--seed", type=int, default=20261204)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "-q", "-p", "jianxin-api", "--bin", "jianxin"], cwd=ROOT,
                   check=True)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="jianxin-faults-")
    try:
        env = dict(os.environ, JIANXIN_KEY_FILE=os.path.join(work, "faults.key"),
                   JIANXIN_DB=os.path.join(work, "gen.db"))
        run(env, "keygen", "--out", env["JIANXIN_KEY_FILE"], "--name", "faults.example/log")
        run(env, "demo", "generate", "--subjects", "5000", "--inspectors", "20",
            "--out", os.path.join(work, "gen"))
        gen = os.path.join(work, "gen", "subjects.csv")
        pg = None
        if "postgres" in a.backends:
            pg = subprocess.run([os.path.join(ROOT, "scripts", "ensure-postgres")], check=True,
                                capture_output=True, text=True).stdout.strip()
        total = 0
        for name in a.backends.split(","):
            backend = Backend(name, work, pg)
            # the size of a whole import, measured once without a kill
            env_full, _ = backend.fresh()
            before = events(env_full)
            run(env_full, "import", "subjects", gen)
            full = events(env_full) - before
            for i in range(a.kills):
                print(f"{name} {i + 1:3}/{a.kills} {kill_import(backend, gen, rng, full)}", flush=True)
                total += 1
            for i in range(a.kills):
                print(f"{name} {i + 1:3}/{a.kills} {kill_serve(backend, rng)}", flush=True)
                total += 1
        print(f"ok: {total} kills ({a.kills} imports and {a.kills} services per backend, "
              f"backends {a.backends}, seed {a.seed}); no violation")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
