#!/usr/bin/env python3
"""Faults (issue 11): `kill -9` of `jianxin` at random points, then checks.

Three kinds of kill, on SQLite and on PostgreSQL:

* **import**: `jianxin import subjects` of a 5,000-subject file on a freshly seeded
  database, killed after a random 0-4 s. Afterwards `jianxin log verify` must pass and
  the log must hold either none or all of the import's events (all or nothing).
* **serve**: `jianxin serve` answering credit checks from 8 client threads, killed after a
  random 0.5-3 s. Every answer a client received (HTTP 200, with its `query_id`) must be
  in the log after the restart (`GET /v1/credit/queries/{id}` answers 200 with the same
  decision): an answer is logged before it is returned, so none may be lost. The log must
  verify, and the read models rebuilt from the log must answer as the ones the killed
  process left.

* **draw**: the draw's steps (freeze, beacon, run) over 5,000 subjects on a copy of a
  template database, killed at a random time; then the log verifies, the task and its
  read models are as an unkilled run left them after the steps in the log (also after
  a rebuild), and finishing the steps gives the unkilled run's bundle (`kill_draw`).

Two more faults, instead of the kills: `--pg-restart N` restarts PostgreSQL N times
under load (`pg_restart`); `--disk-full MIB` runs SQLite on a small tmpfs that fills up
(`disk_full`, needs root).

Usage: scripts/faults.py [--kills N] [--kinds import,serve,draw] [--backends sqlite,postgres]
[--seed S] | --pg-restart N [--down S] | --disk-full MIB
(N kills per kind and backend; the binary is target/debug/jianxin, built first).
Prints one line per kill and a summary; exits 1 on the first violation.
"""

import argparse
import json
import os
import random
import re
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

    def copy(self, template):
        """A new database holding what the database of `template` (an environment, no
        process using it) holds; its environment."""
        self.n += 1
        env = dict(template)
        if self.name == "sqlite":
            env["JIANXIN_DB"] = os.path.join(self.work, f"faults-{self.n}.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(template["JIANXIN_DB"] + suffix):
                    shutil.copy(template["JIANXIN_DB"] + suffix, env["JIANXIN_DB"] + suffix)
        else:
            db = f"jx_faults_{os.getpid()}_{self.n}"
            base, source = template["JIANXIN_DB"].rsplit("/", 1)
            subprocess.run(["psql", self.pg_url, "-qc", f"CREATE DATABASE {db} TEMPLATE {source}"],
                           check=True, capture_output=True)
            env["JIANXIN_DB"] = f"{base}/{db}"
        return env


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


# The draw: a task over the 5,000 subjects of `write_draw_directories`, with a fixed id
# (the id enters the seed) and the one drand round whose signature ships with the
# project (docs/TASKS.md §5), each step at its time on the round's day.
DRAW_TASK = "0192f0c4-6b1e-7c3a-9d2e-5a4b3c2d1e0f"
ROUND_SIGNATURE = ("b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d35"
                   "46d23c4b13e0dfc92")
DRAW_STEPS = [
    ("freeze", "2023-08-23T15:10:00Z", ["draw", "freeze", DRAW_TASK, "--round", "123"]),
    ("beacon", "2023-08-23T15:16:00Z", ["draw", "beacon", DRAW_TASK, "--round", "123",
                                        "--signature", ROUND_SIGNATURE]),
    ("run", "2023-08-23T15:17:00Z", ["draw", "run", DRAW_TASK]),
]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(region, n):
    """A valid USCC of an enterprise in `region` (GB 32100, with a GB 11714 organisation code)."""
    body = f"{n:08d}"
    c = 11 - sum(int(d) * w for d, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    first = "91" + region + body + ("X" if c == 10 else "0" if c == 11 else str(c))
    weights = [pow(3, i, 31) for i in range(17)]
    check = (31 - sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first, weights)) % 31) % 31
    return first + USCC_ALPHABET[check]


def write_draw_directories(out, subjects=5000, inspectors=100):
    """Directories for one large draw: `subjects` enterprises of 330106 in the four risk
    classes, `inspectors` market-regulation inspectors of 330100 patrolling elsewhere,
    and one item."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "subjects.csv"), "w") as f:
        f.write("统一社会信用代码,企业名称,类型,行业,所属区域,成立日期,登记状态,信用风险分类,监管标签\n")
        for i in range(subjects):
            f.write(f"{uscc('330106', 50000000 + i)},杭州故障测试{i}号有限公司,企业,H6210,330106,"
                    f"2015-0{1 + i % 9}-1{i % 10},存续,{'ABCD'[i % 4]},食品经营\n")
    with open(os.path.join(out, "inspectors.csv"), "w") as f:
        f.write("执法人员编号,姓名,所属部门,巡查区域,执法证号,发证日期,有效期至,资格,是否专家,人员状态\n")
        for i in range(inspectors):
            f.write(f"FX-{i:04d},检查员{i},330100-SCJG,330105,3301002021{i:06d},2021-03-01,"
                    f"2027-02-28,食品安全,否,在岗\n")
    with open(os.path.join(out, "items.csv"), "w") as f:
        f.write("事项编码,事项名称,抽查依据,抽查主体,抽查对象,抽查比例,抽查频次,检查方式,检查人员要求\n")
        f.write("FX-001,餐饮服务食品安全抽查（故障测试）,《中华人民共和国食品安全法》,330100-SCJG,企业,"
                "5%,1,现场检查,食品安全\n")
    with open(os.path.join(out, "task.json"), "w") as f:
        json.dump({"id": DRAW_TASK, "title": "故障测试抽查", "departments": ["330100-SCJG"],
                   "items": ["FX-001"], "scope": {"regions": ["330106"]},
                   "window_from": "2023-09-01", "window_to": "2023-09-30",
                   "inspection_date": "2023-09-15", "team_size": 2}, f)


def draw_template(backend, directories):
    """A freshly seeded demo database with the draw's directories (in force from
    2023-01-01) and its task created: every draw of this kind starts from a copy."""
    env, _ = backend.fresh()
    for kind in ("subjects", "inspectors", "items"):
        run(env, "import", kind, os.path.join(directories, f"{kind}.csv"), "--effective", "2023-01-01")
    run(dict(env, JIANXIN_NOW="2023-08-20T01:00:00Z"), "task", "create", "--file",
        os.path.join(directories, "task.json"))
    return env


def draw_state(env):
    """What the task looks like: the aggregate (`task show`) and its read models (the
    `task list` row, the assignments of two inspectors)."""
    shown = json.loads(run(env, "--format", "json", "task", "show", DRAW_TASK).stdout)
    listed = [t for t in json.loads(run(env, "--format", "json", "task", "list").stdout)
              if t["id"] == DRAW_TASK]
    assigned = [json.loads(run(env, "--format", "json", "assignments", "--inspector", i).stdout)
                for i in ("FX-0000", "FX-0042")]
    return {"show": shown, "list": listed, "assignments": assigned}


def export(env, out):
    shutil.rmtree(out, ignore_errors=True)
    run(env, "draw", "export", DRAW_TASK, "--out", out)
    r = run(env, "draw", "verify", out, check=False)
    if r.returncode != 0 or not r.stdout.startswith("ok"):
        raise SystemExit(f"VIOLATION: draw verify {out}: exit {r.returncode}: {r.stdout}{r.stderr}")
    # checkpoint.txt is signed at export, with the time of the export; events carry fresh
    # random event and command ids and, on PostgreSQL, the server's clock reading at the
    # append as `occurred_on`, and so do their leaf hashes (proofs.json): compare the
    # events without those, and every other file byte for byte
    files = {f: open(os.path.join(out, f), "rb").read() for f in sorted(os.listdir(out))
             if f not in ("checkpoint.txt", "proofs.json")}
    stripped = []
    for line in files["events.jsonl"].decode().splitlines():
        entry = json.loads(line)
        del entry["event_id"], entry["payload"]["command_id"], entry["occurred_on"]
        stripped.append(json.dumps(entry, sort_keys=True))
    files["events.jsonl"] = "\n".join(stripped).encode()
    return files


def draw_reference(backend, template):
    """The unkilled run on a copy of the template: the event count and state after each
    step, the time the three steps take, and the published bundle."""
    env = backend.copy(template)
    counts, states = [events(env)], [draw_state(env)]
    took = 0.0
    for _, now, args in DRAW_STEPS:
        t0 = time.monotonic()
        run(dict(env, JIANXIN_NOW=now), *args)
        took += time.monotonic() - t0
        counts.append(events(env))
        states.append(draw_state(env))
    bundle = export(env, os.path.join(backend.work, f"bundle-{backend.name}-reference"))
    return {"counts": counts, "states": states, "took": took, "bundle": bundle}


def kill_draw(backend, template, rng, ref):
    """The draw's steps (freeze, beacon, run) on a copy of the template, `SIGKILL` at a
    random time; then the log verifies, the task is exactly as the unkilled run left it
    after the steps in the log (aggregate and read models, also after a rebuild of the
    read models), and finishing the steps gives the reference's bundle, which verifies."""
    env = backend.copy(template)
    delay = rng.uniform(0.0, ref["took"] * 1.1)
    t0, completed, killed = time.monotonic(), 0, None
    for name, now, args in DRAW_STEPS:
        left = delay - (time.monotonic() - t0)
        if left <= 0:
            killed = f"before {name}"
            break
        p = subprocess.Popen([BIN, *args], env=dict(env, JIANXIN_NOW=now),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            p.wait(timeout=left)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed = f"during {name}"
            break
        if p.returncode != 0:
            raise SystemExit(f"VIOLATION: {backend.name}: draw {name} exited {p.returncode}")
        completed += 1
    if killed is None:
        killed = "after the run"
    count = events(env)
    steps = ref["counts"].index(count) if count in ref["counts"] else None
    in_flight = killed.startswith("during")
    if steps is None or steps not in ((completed, completed + 1) if in_flight else (completed,)):
        raise SystemExit(f"VIOLATION: {backend.name}: draw killed {killed} at {delay:.2f} s: the "
                         f"log holds {count} events; expected {ref['counts']} after "
                         f"{completed} step(s)")
    state = draw_state(env)
    if state != ref["states"][steps]:
        raise SystemExit(f"VIOLATION: {backend.name}: draw killed {killed}: the task after "
                         f"{steps} step(s) differs from the unkilled run's")
    run(env, "projections", "rebuild")
    if draw_state(env) != state:
        raise SystemExit(f"VIOLATION: {backend.name}: draw killed {killed}: the read models "
                         f"differ from their rebuild")
    for _, now, args in DRAW_STEPS[steps:]:
        run(dict(env, JIANXIN_NOW=now), *args)
    bundle = export(env, os.path.join(backend.work, f"bundle-{backend.name}"))
    differ = [f for f in set(bundle) | set(ref["bundle"]) if bundle.get(f) != ref["bundle"].get(f)]
    for f in sorted(differ):
        for x, y in zip(bundle.get(f, b"").decode().splitlines(),
                        ref["bundle"].get(f, b"").decode().splitlines()):
            if x != y:
                print(f"  {f}: first difference:\n    killed:    {x[:300]}\n    reference: {y[:300]}")
                break
    if differ:
        raise SystemExit(f"VIOLATION: {backend.name}: draw killed {killed}, then finished: "
                         f"{', '.join(sorted(differ))} differ from the unkilled run's bundle")
    if backend.name == "postgres":
        subprocess.run(["psql", backend.pg_url, "-qc",
                        f"DROP DATABASE {env['JIANXIN_DB'].rsplit('/', 1)[1]}"], capture_output=True)
    else:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(env["JIANXIN_DB"] + suffix):
                os.remove(env["JIANXIN_DB"] + suffix)
    return steps, (f"draw killed {killed} at {delay:.2f} s: {steps} of 3 steps in the log, "
                   f"the task as the unkilled run left it; finished: the same bundle, verified")


def token(seed, role):
    for t in seed["tokens"]:
        if t["role"] == role:
            return t["token"]
    raise SystemExit(f"no {role} token in the demo's output")


def start_serve(env, log=None):
    """`jianxin serve` on a free port: the process and its base URL. Its stderr is drained
    into `log` (a list) when given."""
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--no-scheduler", "--no-webhooks",
                          "--anonymous-rate-per-minute", "0"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if line.startswith("listening on "):
            base = line.split("listening on ", 1)[1].strip()
            sink = log if log is not None else []
            threading.Thread(target=lambda: [sink.append(x) if log is not None else None
                                             for x in p.stderr], daemon=True).start()
            return p, base
    raise SystemExit("jianxin serve ended before listening")


def get(base, path, tok, timeout=30):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {tok}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def request(base, path, tok, timeout):
    """One GET: (status, headers, body text), HTTP errors included; raises on no answer."""
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {tok}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


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



def pg_cluster(action):
    """`pg_ctlcluster VERSION main ACTION` of this machine's newest cluster (fast stop)."""
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", version, "main",
                    action], check=True, capture_output=True)


def pg_ready():
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0


def pg_restart(backend, restarts, down):
    """`jianxin serve` on PostgreSQL under credit checks (each one appends to the log) and
    reads of logged answers; PostgreSQL stopped for `down` seconds and started, `restarts`
    times. During an outage every request must get a clean answer (a problem+json 503
    with Retry-After, or 500) within the client's timeout, and the service must answer
    200 again after PostgreSQL is back, without a restart. Every 200 answer must be in
    the log afterwards, and the log must verify."""
    env, seed = backend.fresh()
    tok = token(seed, "credit_officer")
    served = []
    p, base = start_serve(env, served)
    answered, outcomes, unclean, stop = [], [], [], threading.Event()
    lock = threading.Lock()

    def client(i):
        day = 1
        while not stop.is_set():
            day = day % 28 + 1
            if i % 4 == 3 and answered:
                path = f"/v1/credit/queries/{answered[-1][0]}"
            else:
                path = (f"/v1/credit/check?subject={SUBJECT}&scenario=government_procurement"
                        f"&date=2024-02-{day:02d}")
            t0 = time.monotonic()
            try:
                status, headers, text = request(base, path, tok, timeout=40)
            except Exception as e:  # no answer at all: a hang past 40 s or a dropped connection
                with lock:
                    unclean.append(f"{path}: no answer after {time.monotonic() - t0:.1f} s: {e!r}")
                time.sleep(0.2)
                continue
            took = time.monotonic() - t0
            with lock:
                outcomes.append((t0, status, took))
                if status == 200:
                    body = json.loads(text)
                    if "/check?" in path:
                        answered.append((body["query_id"], body["decision"]))
                    continue
                ctype = headers.get("Content-Type", "")
                try:
                    code = json.loads(text).get("code")
                except ValueError:
                    code = None
                clean = (ctype.startswith("application/problem+json") and code is not None
                         and (status == 500 or (status == 503 and headers.get("Retry-After"))))
                if not clean:
                    unclean.append(f"{path}: {status} {ctype} Retry-After={headers.get('Retry-After')} "
                                   f"{text[:200]}")
            if status != 200:
                time.sleep(0.1)  # a client backs off a little on errors

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    lines, windows = [], []
    try:
        time.sleep(3)
        for r in range(restarts):
            t_stop = time.monotonic()
            pg_cluster("stop")
            t_stopped = time.monotonic()
            time.sleep(down)
            pg_cluster("start")
            for _ in range(60):
                if pg_ready():
                    break
                time.sleep(0.5)
            t_up = time.monotonic()
            # the service must answer 200 again within 30 s of PostgreSQL answering
            deadline = t_up + 30
            while time.monotonic() < deadline:
                with lock:
                    back = [o for o in outcomes if o[0] >= t_up and o[1] == 200]
                if back:
                    break
                time.sleep(0.2)
            time.sleep(3)
            with lock:
                during = [o for o in outcomes if t_stop <= o[0] < t_up]
                after_ok = [o for o in outcomes if o[0] >= t_up and o[1] == 200]
            if not after_ok:
                raise SystemExit(f"VIOLATION: restart {r + 1}: no 200 within 30 s after PostgreSQL was back")
            first_ok = min(o[0] for o in after_ok) - t_up
            statuses = {}
            for o in during:
                statuses[o[1]] = statuses.get(o[1], 0) + 1
            slowest = max((o[2] for o in during), default=0.0)
            windows.append((t_stop, t_up))
            lines.append(f"restart {r + 1}: stopped in {t_stopped - t_stop:.1f} s, down {down} s, "
                         f"up after {t_up - t_stop:.1f} s; requests begun meanwhile: "
                         f"{json.dumps(statuses, sort_keys=True)}, slowest answer {slowest:.1f} s; "
                         f"first 200 {first_ok:.1f} s after PostgreSQL answered")
            print(lines[-1], flush=True)
            if p.poll() is not None:
                raise SystemExit(f"VIOLATION: jianxin serve exited ({p.returncode}) during restart {r + 1}")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=45)
        if not pg_ready():
            pg_cluster("start")
    if p.poll() is not None:
        raise SystemExit(f"VIOLATION: jianxin serve exited ({p.returncode})")
    causes = {}
    for line in served:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        if "request failed" in line:
            cause = re.sub(r"request id \S+|[0-9a-f-]{36}", "…", line.split("cause=", 1)[-1])
            cause = cause.strip()[:200]
            causes[cause] = causes.get(cause, 0) + 1
    for cause, n in sorted(causes.items(), key=lambda c: -c[1]):
        print(f"  logged 5xx cause x{n}: {cause}")
    if unclean:
        raise SystemExit("VIOLATION: unclean answers:\n" + "\n".join(unclean[:20]))
    # every answer given is in the log, as given, asked of the same (never restarted) service
    for qid, decision in answered:
        status, body = get(base, f"/v1/credit/queries/{qid}", tok)
        if status != 200 or body["answer"]["decision"] != decision:
            raise SystemExit(f"VIOLATION: answer {qid} ({decision}) was given but the log says {status}")
    p.send_signal(signal.SIGTERM)
    p.wait()
    n = events(env)
    totals = {}
    for o in outcomes:
        totals[o[1]] = totals.get(o[1], 0) + 1
    return (f"{restarts} restarts: {len(outcomes)} requests answered {json.dumps(totals, sort_keys=True)}, "
            f"none unclean; {len(answered)} credit answers given, all in the log; log verifies "
            f"({n} events)")


def disk_full(work, gen, size_mb):
    """SQLite on a `size_mb` MiB tmpfs, `jianxin serve` running under credit checks (each
    one appends to the log) and reads of logged answers. (1) An import of 5,000 subjects
    that does not fit: it must fail with a clear message (exit 4, "disk ... full", no
    panic) and leave nothing. (2) The disk filled to the last byte: appends over HTTP
    must fail cleanly (problem+json 507 or 503), reads must go on, a CLI import must fail
    as in (1). (3) Space freed (the filler removed, the tmpfs grown): without a restart
    the service answers again, the import succeeds whole; every answer given is in the
    log; the log verifies; the query log's read model equals its rebuild."""
    if os.geteuid() != 0:
        raise SystemExit("--disk-full mounts a tmpfs: run as root")
    mnt = os.path.join(work, "small")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", mnt], check=True)
    served, lines = [], []
    try:
        shutil.copy(os.path.join(work, "faults.key"), mnt)
        backend = Backend("sqlite", mnt, None)
        env, seed = backend.fresh()
        tok = token(seed, "credit_officer")
        p, base = start_serve(env, served)
        answered, outcomes, unclean, stop = [], [], [], threading.Event()
        lock = threading.Lock()
        phase = ["space"]

        def client(i):
            day = 1
            while not stop.is_set():
                day = day % 28 + 1
                if i % 3 == 2 and answered:
                    path = f"/v1/credit/queries/{answered[-1][0]}"
                else:
                    path = (f"/v1/credit/check?subject={SUBJECT}&scenario=government_procurement"
                            f"&date=2024-02-{day:02d}")
                kind = "read" if "/queries/" in path else "check"
                try:
                    status, headers, text = request(base, path, tok, timeout=40)
                except Exception as e:
                    with lock:
                        unclean.append(f"{path}: no answer: {e!r}")
                    time.sleep(0.2)
                    continue
                with lock:
                    outcomes.append((phase[0], kind, status))
                    if status == 200:
                        if kind == "check":
                            body = json.loads(text)
                            answered.append((body["query_id"], body["decision"]))
                        continue
                    ctype = headers.get("Content-Type", "")
                    if not (ctype.startswith("application/problem+json") and status in (503, 507)):
                        unclean.append(f"{path}: {status} {ctype} {text[:200]}")
                time.sleep(0.1)

        def cli_fails_cleanly(what, *args):
            r = run(env, *args, check=False)
            said = (r.stdout + r.stderr).strip().splitlines()
            said = said[-1] if said else ""
            if r.returncode != 4 or "full" not in said or "panicked" in r.stderr:
                raise SystemExit(f"VIOLATION: {what}: exit {r.returncode}, said {said!r}")
            return said

        def tally(name):
            with lock:
                got = {}
                for ph, kind, status in outcomes:
                    if ph == name:
                        got[f"{kind} {status}"] = got.get(f"{kind} {status}", 0) + 1
            return json.dumps(got, sort_keys=True)

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(6)]
        for t in threads:
            t.start()
        with open(gen, encoding="utf-8") as f:
            imported = [line.split(",", 1)[0] for line in f.read().splitlines()[1:]]
        sample = [imported[0], imported[len(imported) // 2], imported[-1]]

        def subjects_present():
            return [u for u in sample
                    if run(env, "subjects", "show", u, check=False).returncode == 0]

        time.sleep(2)
        phase[0] = "import"
        said = cli_fails_cleanly("an import that does not fit", "import", "subjects", gen)
        if subjects_present():
            raise SystemExit(f"VIOLATION: the failed import left subjects {subjects_present()}")
        events(env)
        lines.append(f"(1) import of 5,000 subjects into {size_mb} MiB: exit 4, {said!r}; "
                     f"none of its subjects in the directory; log verifies; meanwhile "
                     f"{tally('import')}")
        print(lines[-1], flush=True)
        phase[0] = "full"
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        for size in (65536, 4096, 1):  # to the last byte
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
        os.close(fd)
        free = shutil.disk_usage(mnt).free
        time.sleep(3)
        said = cli_fails_cleanly("an import on a full disk", "import", "subjects", gen)
        time.sleep(2)
        r = run(env, "log", "verify", check=False)
        verify_full = (r.stdout + r.stderr).strip().splitlines()[-1]
        full_tally = tally("full")
        if '"read 200"' not in full_tally:
            raise SystemExit(f"VIOLATION: no read answered while the disk was full: {full_tally}")
        lines.append(f"(2) disk full ({free} bytes free): for 5 s {full_tally}; CLI import: exit 4, "
                     f"{said!r}; log verify: {verify_full!r}")
        print(lines[-1], flush=True)
        phase[0] = "freed"
        os.remove(filler)
        subprocess.run(["mount", "-o", f"remount,size={size_mb * 8}m", mnt], check=True)
        time.sleep(3)
        run(env, "import", "subjects", gen)
        if len(subjects_present()) != len(sample):
            raise SystemExit("VIOLATION: the import after space was freed is not whole")
        time.sleep(2)
        freed_tally = tally("freed")
        if '"check 200"' not in freed_tally:
            raise SystemExit(f"VIOLATION: no credit check answered after space was freed: {freed_tally}")
        stop.set()
        for t in threads:
            t.join(timeout=45)
        if p.poll() is not None:
            raise SystemExit(f"VIOLATION: jianxin serve exited ({p.returncode})")
        if unclean:
            raise SystemExit("VIOLATION: unclean answers:\n" + "\n".join(unclean[:20]))
        for qid, decision in answered:
            status, body = get(base, f"/v1/credit/queries/{qid}", tok)
            if status != 200 or body["answer"]["decision"] != decision:
                raise SystemExit(f"VIOLATION: answer {qid} ({decision}) was given but the log "
                                 f"says {status}")
        listed_before = get(base, f"/v1/credit/queries?subject={SUBJECT}&limit=1000", tok)
        p.send_signal(signal.SIGTERM)
        p.wait()
        n = events(env)
        run(env, "projections", "rebuild")
        p, base = start_serve(env)
        try:
            listed_after = get(base, f"/v1/credit/queries?subject={SUBJECT}&limit=1000", tok)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait()
        if listed_before != listed_after:
            raise SystemExit("VIOLATION: the query log read model differs from its rebuild")
        lines.append(f"(3) space freed: without a restart {freed_tally}; the import then "
                     f"succeeded whole; {len(answered)} answers given, all in the log; log "
                     f"verifies ({n} events); read models equal their rebuild")
        print(lines[-1], flush=True)
    finally:
        causes = {}
        for line in served:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line)
            if "request failed" in line:
                cause = re.sub(r"request id \S+|[0-9a-f-]{36}", "…", line.split("cause=", 1)[-1])
                causes[cause.strip()[:200]] = causes.get(cause.strip()[:200], 0) + 1
        for cause, k in sorted(causes.items(), key=lambda c: -c[1]):
            print(f"  logged 5xx cause x{k}: {cause}")
        subprocess.run(["umount", "-l", mnt])
    return "disk full: no violation"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=25, help="kills per kind and backend")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--kinds", default="import,serve,draw", help="import, serve, draw")
    ap.add_argument("--pg-restart", type=int, metavar="N",
                    help="instead: restart PostgreSQL N times under load (see pg_restart)")
    ap.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down")
    ap.add_argument("--disk-full", type=int, metavar="MIB",
                    help="instead: SQLite on a MIB MiB tmpfs that fills up (see disk_full)")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "-q", "-p", "jianxin-api", "--bin", "jianxin"], cwd=ROOT,
                   check=True)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="jianxin-faults-")
    pg = None
    try:
        if a.pg_restart:
            pg = subprocess.run([os.path.join(ROOT, "scripts", "ensure-postgres")], check=True,
                                capture_output=True, text=True).stdout.strip()
            env = dict(os.environ, JIANXIN_KEY_FILE=os.path.join(work, "faults.key"))
            run(env, "keygen", "--out", env["JIANXIN_KEY_FILE"], "--name", "faults.example/log")
            print(f"ok: {pg_restart(Backend('postgres', work, pg), a.pg_restart, a.down)}")
            return 0
        if a.disk_full:
            env = dict(os.environ, JIANXIN_KEY_FILE=os.path.join(work, "faults.key"),
                       JIANXIN_DB=os.path.join(work, "gen.db"))
            run(env, "keygen", "--out", env["JIANXIN_KEY_FILE"], "--name", "faults.example/log")
            run(env, "demo", "generate", "--subjects", "5000", "--inspectors", "20",
                "--out", os.path.join(work, "gen"))
            print(f"ok: {disk_full(work, os.path.join(work, 'gen', 'subjects.csv'), a.disk_full)}")
            return 0
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
        kinds = a.kinds.split(",")
        total, references, landed = 0, {}, {}
        if "draw" in kinds:
            write_draw_directories(os.path.join(work, "draw"))
        for name in a.backends.split(","):
            backend = Backend(name, work, pg)
            if "import" in kinds:
                # the size of a whole import, measured once without a kill
                env_full, _ = backend.fresh()
                before = events(env_full)
                run(env_full, "import", "subjects", gen)
                full = events(env_full) - before
                for i in range(a.kills):
                    print(f"{name} {i + 1:3}/{a.kills} {kill_import(backend, gen, rng, full)}",
                          flush=True)
                    total += 1
            if "serve" in kinds:
                for i in range(a.kills):
                    print(f"{name} {i + 1:3}/{a.kills} {kill_serve(backend, rng)}", flush=True)
                    total += 1
            if "draw" in kinds:
                template = draw_template(backend, os.path.join(work, "draw"))
                ref = references[name] = draw_reference(backend, template)
                print(f"{name} draw reference: {ref['counts'][-1] - ref['counts'][0]} events, "
                      f"the three steps in {ref['took']:.2f} s", flush=True)
                for i in range(a.kills):
                    steps, line = kill_draw(backend, template, rng, ref)
                    landed[(name, steps)] = landed.get((name, steps), 0) + 1
                    print(f"{name} {i + 1:3}/{a.kills} {line}", flush=True)
                    total += 1
                print(f"{name} draws: steps in the log at the kill: "
                      f"{[landed.get((name, k), 0) for k in range(4)]} (0, 1, 2, 3 steps)")
        if len(references) == 2:
            drawn = ["seed.txt", "result.txt", "teams.csv", "subjects.csv", "inspectors.csv"]
            a_ref, b_ref = references.values()
            differ = [f for f in drawn if a_ref["bundle"][f] != b_ref["bundle"][f]]
            if differ:
                raise SystemExit(f"VIOLATION: the two backends drew differently: {differ}")
            print("the draw on SQLite and on PostgreSQL: the same seed, result and teams")
        print(f"ok: {total} kills ({a.kills} per kind and backend, kinds {a.kinds}, "
              f"backends {a.backends}, seed {a.seed}); no violation")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if pg:
            listed = subprocess.run(["psql", pg, "-Atc", "SELECT datname FROM pg_database WHERE "
                                     f"datname LIKE 'jx\\_faults\\_{os.getpid()}\\_%'"],
                                    capture_output=True, text=True).stdout.split()
            for db in listed:
                subprocess.run(["psql", pg, "-qc", f"DROP DATABASE IF EXISTS {db}"],
                               capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
