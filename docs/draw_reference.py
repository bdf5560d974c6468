#!/usr/bin/env python3
"""Independent reference implementation of docs/DRAW.md (the random draw, 双随机).

Written from DRAW.md alone, in plain Python with the `cryptography` package for
ChaCha20 (pip install cryptography). It builds the golden inputs of DRAW.md §11,
re-runs the draw, the recusals and the failing draw, prints the results, and compares
them with the blocks of §11 when DRAW.md sits beside this file. It exits with 1 on any
mismatch.

BLS verification of the drand round is not done here; see DRAW.md §12.
"""

import hashlib
import re
import sys
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
TWO64 = 1 << 64


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def by_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# §2 encodings ------------------------------------------------------------------------

def field(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def lst(items) -> str:
    escaped = [i.replace("\\", "\\\\").replace(";", "\\;") for i in sorted(items, key=by_bytes)]
    return field(";".join(escaped))


def csv_text(header: str, rows) -> str:
    return header + "\n" + "".join(",".join(r) + "\n" for r in rows)


def subjects_csv(subjects) -> str:
    rows = [
        [field(s["uscc"]), field(s["name"]), field(s["kind"]), field(s["industry"]),
         field(s["region"]), s["registered"], field(s["status"]), field(s["risk"]),
         lst(s["tags"])]
        for s in sorted(subjects, key=lambda s: by_bytes(s["uscc"]))
    ]
    return csv_text("uscc,name,kind,industry,region,registration_date,status,risk_class,tags", rows)


def inspectors_csv(inspectors) -> str:
    rows = [
        [field(i["id"]), field(i["name"]), field(i["department"]), lst(i["patrol"]),
         field(i["cert"]), i["issued"], i["expires"], lst(i["quals"]),
         "true" if i["expert"] else "false", field(i["status"])]
        for i in sorted(inspectors, key=lambda i: by_bytes(i["id"]))
    ]
    header = ("id,name,department,patrol_areas,certificate_number,certificate_issued_on,"
              "certificate_expires_on,qualifications,expert,status")
    return csv_text(header, rows)


def relationships_csv(pairs) -> str:
    rows = sorted(set(pairs), key=lambda p: (by_bytes(p[0]), by_bytes(p[1])))
    return csv_text("uscc,inspector_id", [[field(a), field(b)] for a, b in rows])


def previous_csv(triples) -> str:
    rows = sorted(set(triples), key=lambda t: tuple(by_bytes(x) for x in t))
    return csv_text("department,uscc,inspector_id", [[field(x) for x in t] for t in rows])


def rules_text(rules) -> str:
    r = rules
    lines = [
        "jianxin-rules-v1",
        f"ratio_bp.A={r['ratio']['A']}", f"ratio_bp.B={r['ratio']['B']}",
        f"ratio_bp.C={r['ratio']['C']}", f"ratio_bp.D={r['ratio']['D']}",
        "exclusions.eligible_statuses=" + ",".join(sorted(r["eligible_statuses"], key=by_bytes)),
        f"exclusions.min_months_since_registration={r['min_months']}",
        f"exclusions.same_department_within_months={r['same_department_months']}",
        f"frequency_cap_per_year={r['frequency_cap']}",
        f"min_team_size={r['min_team_size']}",
        "conflicts.exclude_patrol_area=" + ("true" if r["exclude_patrol_area"] else "false"),
        "conflicts.exclude_previous_inspector=" + ("true" if r["exclude_previous"] else "false"),
        f"workload_cap_per_task={r['workload_cap']}",
        f"publication_deadline_working_days={r['publication_days']}",
    ]
    return "\n".join(lines) + "\n"


# §3 seed -------------------------------------------------------------------------------

def commitment(secret: bytes) -> bytes:
    return sha256(b"jianxin-draw-commit-v1" + b"\x00" + secret)


def seed_text(inp) -> str:
    t, r = inp["task"], inp["rules"]
    lines = [
        "jianxin-draw-seed-v1",
        f"task_id={t['id']}",
        f"inspection_date={t['date']}",
        "departments=" + ",".join(sorted(t["departments"], key=by_bytes)),
        f"team_size={t['team_size']}",
    ]
    for code, dept, qual in sorted(t["items"], key=lambda i: by_bytes(i[0])):
        lines.append(f"item={code};{dept};{qual or ''}")
    digest = lambda text: sha256(text.encode("utf-8")).hex()  # noqa: E731
    lines += [
        "subjects_sha256=" + digest(subjects_csv(inp["subjects"])),
        "inspectors_sha256=" + digest(inspectors_csv(inp["inspectors"])),
        "relationships_sha256=" + digest(relationships_csv(inp["relationships"])),
        "previous_sha256=" + digest(previous_csv(inp["previous"])),
        f"rules_version={inp['rules_version']}",
        "rules_sha256=" + digest(rules_text(r)),
        f"drand_chain={QUICKNET_CHAIN}",
        f"drand_round={inp['round']}",
        "drand_randomness=" + sha256(bytes.fromhex(inp["signature"])).hex(),
    ]
    for dept, commit, secret in sorted(inp["commitments"], key=lambda c: by_bytes(c[0])):
        valid = secret is not None and commitment(secret) == commit
        lines.append(f"reveal={dept};{commit.hex()};{secret.hex() if valid else '-'}")
    return "\n".join(lines) + "\n"


# §4–§6 streams and sampling --------------------------------------------------------------

class Stream:
    """§5: the words of ChaCha20 with `key`, counter 0, nonce 0."""

    def __init__(self, key: bytes):
        # The 16-byte nonce of `cryptography`: 64-bit counter 0, then 64-bit nonce 0.
        self.cipher = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()

    def word(self) -> int:
        return int.from_bytes(self.cipher.update(bytes(8)), "little")

    def below(self, n: int) -> int:
        r = TWO64 % n
        while True:
            x = self.word()
            if x <= TWO64 - 1 - r:
                return x % n


def stream_for(seed: bytes, label: str) -> Stream:
    """§4: the stream of one purpose."""
    return Stream(sha256(seed + label.encode("utf-8")))


def fisher_yates(items, steps, stream):
    a = list(items)
    for i in range(min(steps, len(a))):
        j = i + stream.below(len(a) - i)
        a[i], a[j] = a[j], a[i]
    return a


def quota(n: int, bp: int) -> int:
    return min(n, (n * bp + 9999) // 10000)


# §8 teams ------------------------------------------------------------------------------

CONSTRAINTS = ["department", "status", "certificate", "qualification", "relationship",
               "patrol_area", "previous_draw", "workload_cap", "on_team", "recused"]


def covers(area: str, region: str) -> bool:
    if area == region:
        return True
    if area.endswith("0000"):
        return region.startswith(area[:2])
    if area.endswith("00"):
        return region.startswith(area[:4])
    return False


class Context:
    def __init__(self, inp):
        self.inp = inp
        self.pool = sorted(inp["inspectors"], key=lambda i: by_bytes(i["id"]))
        t, r = inp["task"], inp["rules"]
        self.departments = sorted(t["departments"], key=by_bytes)
        self.quals = {q for _, _, q in t["items"] if q}
        self.rel = set(inp["relationships"])
        self.prev = {(u, i) for _, u, i in inp["previous"]}
        self.rules = r
        self.team_size = t["team_size"]

    def active(self, members, recused):
        skip = set()
        if not self.rules["exclude_patrol_area"]:
            skip.add("patrol_area")
        if not self.rules["exclude_previous"]:
            skip.add("previous_draw")
        if not members:
            skip.add("on_team")
        if not recused:
            skip.add("recused")
        return [c for c in CONSTRAINTS if c not in skip]

    def passes(self, c, i, s, load, members, recused):
        date = self.inp["task"]["date"]
        return {
            "department": lambda: i["department"] in self.departments,
            "status": lambda: i["status"] == "active",
            "certificate": lambda: i["issued"] <= date <= i["expires"],
            "qualification": lambda: self.quals <= set(i["quals"]),
            "relationship": lambda: (s["uscc"], i["id"]) not in self.rel,
            "patrol_area": lambda: not any(covers(a, s["region"]) for a in i["patrol"]),
            "previous_draw": lambda: (s["uscc"], i["id"]) not in self.prev,
            "workload_cap": lambda: load.get(i["id"], 0) < self.rules["workload_cap"],
            "on_team": lambda: i["id"] not in members,
            "recused": lambda: i["id"] not in recused,
        }[c]()

    def eligible(self, s, load, members=(), recused=()):
        act = self.active(members, recused)
        return [i for i in self.pool if all(self.passes(c, i, s, load, members, recused) for c in act)]

    def unstaffable(self, s, dept, needed, load, members=(), recused=()):
        left, funnel = list(self.pool), []
        for c in self.active(members, recused):
            left = [i for i in left
                    if (c != "department" or dept is None or i["department"] == dept)
                    and self.passes(c, i, s, load, members, recused)]
            funnel.append((c, len(left)))
        named = next(c for c, n in funnel if n < needed)
        head = (f"subject {s['uscc']}: no inspector of department {dept} is left" if dept
                else f"subject {s['uscc']}: fewer than {needed} inspectors are left")
        steps = "".join(f", {c} {n}" for c, n in funnel)
        return f"{head} after constraint '{named}' (pool {len(self.pool)}{steps})"

    def form_team(self, s, load, seed):
        el = self.eligible(s, load)
        for d in self.departments:
            if not any(i["department"] == d for i in el):
                return None, self.unstaffable(s, d, 1, load)
        if len(el) < self.team_size:
            return None, self.unstaffable(s, None, self.team_size, load)
        stream = stream_for(seed, "team/" + s["uscc"])
        members = []
        for d in self.departments:
            cands = [i for i in el if i["department"] == d]
            members.append(cands[stream.below(len(cands))]["id"])
        rest = [i for i in el if i["id"] not in members]
        need = self.team_size - len(members)
        members += [i["id"] for i in fisher_yates(rest, need, stream)[:need]]
        return members, None


def run_draw(inp):
    """§3–§8 from the inputs: (seed text, seed, transcript or None, teams, error or None)."""
    text = seed_text(inp)
    seed = sha256(text.encode("utf-8"))
    return (text, seed) + draw_from_seed(inp, seed)


def draw_from_seed(inp, seed: bytes):
    """§5–§8 from a published seed: (transcript or None, teams, error or None)."""
    subjects = sorted(inp["subjects"], key=lambda s: by_bytes(s["uscc"]))
    strata = {}
    for s in subjects:
        strata.setdefault((s["region"], s["risk"]), []).append(s)
    out = ["jianxin-draw-result-v1", "seed=" + seed.hex()]
    order = []
    for (region, risk) in sorted(strata, key=lambda k: (by_bytes(k[0]), k[1])):
        members = strata[(region, risk)]
        k = quota(len(members), inp["rules"]["ratio"][risk])
        if k == 0:
            sel, res = [], []
        else:
            perm = fisher_yates(members, len(members), stream_for(seed, f"subjects/{region}/{risk}"))
            sel, res = perm[:k], perm[k:]
        order += sel
        out += [f"stratum={region}/{risk};pool={len(members)};quota={k}",
                "selected=" + ",".join(s["uscc"] for s in sel),
                "reserve=" + ",".join(s["uscc"] for s in res)]
    ctx, load, teams, errors = Context(inp), {}, [], []
    for s in order:
        members, error = ctx.form_team(s, load, seed)
        if error:
            errors.append(error)
            continue
        for m in members:
            load[m] = load.get(m, 0) + 1
        teams.append((s["uscc"], members))
        out.append(f"team={s['uscc']};{','.join(members)}")
    if errors:
        return None, teams, f"{len(errors)} subject(s) cannot be staffed: " + "; ".join(errors)
    return "\n".join(out) + "\n", teams, None


def replacement(inp, seed, teams, uscc, recused_id, n, earlier):
    """§9: the n-th replacement on `uscc`, given the current teams."""
    ctx = Context(inp)
    subject = next(s for s in inp["subjects"] if s["uscc"] == uscc)
    team = dict(teams)[uscc]
    remaining = [m for m in team if m != recused_id]
    load = {}
    for u, ms in teams:
        for m in (remaining if u == uscc else ms):
            load[m] = load.get(m, 0) + 1
    recused = list(earlier) + [recused_id]
    dept_of = {i["id"]: i["department"] for i in ctx.pool}
    lone = dept_of[recused_id] if all(dept_of[m] != dept_of[recused_id] for m in remaining) else None
    cands = [i for i in ctx.eligible(subject, load, remaining, recused)
             if lone is None or i["department"] == lone]
    if not cands:
        return None
    return cands[stream_for(seed, f"recusal/{uscc}/{n}").below(len(cands))]["id"]


# §11 golden inputs -----------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(n: int) -> str:
    first17 = f"91330106{n:09d}"
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def golden_inputs(workload_cap=5):
    subjects = []
    for n in range(1, 25):
        subjects.append({
            "uscc": uscc(n), "name": f"测试企业{n}号有限公司", "kind": "enterprise",
            "industry": "C1311", "region": ["330102", "330106", "330108"][n % 3],
            "registered": "2020-01-01", "status": "active",
            "risk": ["A", "B", "C", "D"][(7 * n) % 4], "tags": [],
        })
    subjects[0].update(name='杭州"老字号",食品有限公司', tags=["食品;餐饮", "特种设备"])
    subjects[1].update(kind="individual_business", industry="H6210")
    ids = [f"SCJG-0{k}" for k in range(1, 10)] + [f"YJGL-0{k}" for k in range(1, 7)] + ["ZFJD-01"]
    inspectors = {}
    for x in ids:
        inspectors[x] = {"id": x, "name": f"检查员{x}", "department": x[:4], "patrol": [],
                         "cert": f"ZJ{x}", "issued": "2024-01-01", "expires": "2028-12-31",
                         "quals": ["安全生产"], "expert": False, "status": "active"}
    inspectors["SCJG-02"]["status"] = "suspended"
    inspectors["SCJG-05"]["expires"] = "2026-06-14"
    inspectors["SCJG-06"]["quals"] = []
    inspectors["SCJG-07"]["patrol"] = ["330106"]
    inspectors["YJGL-03"]["patrol"] = ["330100"]
    inspectors["YJGL-04"]["expert"] = True
    secret = lambda d: sha256(f"jianxin golden {d}".encode())  # noqa: E731
    return {
        "task": {"id": "JX-2026-0001", "departments": ["SCJG", "YJGL"], "date": "2026-06-15",
                 "team_size": 3,
                 "items": [("YJGL-007", "YJGL", "安全生产"), ("SCJG-001", "SCJG", None)]},
        "subjects": subjects,
        "inspectors": list(inspectors.values()),
        "relationships": [(uscc(5), "SCJG-03"), (uscc(12), "YJGL-01")],
        "previous": [("SCJG", uscc(7), "SCJG-04")],
        "rules_version": 2,
        "rules": {"ratio": {"A": 1000, "B": 2000, "C": 3000, "D": 6000},
                  "eligible_statuses": ["active"], "min_months": 6, "same_department_months": 12,
                  "frequency_cap": 1, "min_team_size": 2, "exclude_patrol_area": True,
                  "exclude_previous": True, "workload_cap": workload_cap, "publication_days": 20},
        "round": 123,
        "signature": "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482"
                     "e26cd02df835d3546d23c4b13e0dfc92",
        "commitments": [("YJGL", commitment(secret("YJGL")), secret("wrong")),
                        ("SCJG", commitment(secret("SCJG")), secret("SCJG"))],
    }


def blocks_of(markdown: str, heading: str):
    """The fenced code blocks of the section whose heading starts with `heading`."""
    section = markdown.split(heading, 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```\n(.*?)```", section, flags=re.S)


def main() -> int:
    failures = 0

    def check(what, got, expected):
        nonlocal failures
        ok = got == expected
        failures += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            print(f"  got:      {got!r}\n  expected: {expected!r}")

    # §11.1 building blocks
    key = sha256(b"jianxin test vector")
    stream = Stream(key)
    check("words 0..2 with the vector key", [hex(stream.word()) for _ in range(3)],
          ["0x764f616d6ac6f1c0", "0x93688d20d0acbba5", "0x8a76b5b78d222588"])
    check("FY(0..9) with the vector key", fisher_yates(range(10), 10, Stream(key)),
          [0, 2, 1, 6, 5, 4, 7, 9, 8, 3])
    check("commitment of 07 x 32", commitment(bytes([7] * 32)).hex(),
          "39dd006582a7d1d3bc8c600461c7a3fb229d3ea79783fc70cb2e4d127086882d")
    check("round 123 randomness",
          sha256(bytes.fromhex(golden_inputs()["signature"])).hex(),
          "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc")

    inp = golden_inputs()
    text, seed, transcript, teams, error = run_draw(inp)
    print(text + "\n" + (transcript or error))
    key = sha256(seed + b"subjects/330102/A")
    words = stream_for(seed, "subjects/330102/A")
    check("key(subjects/330102/A)", key.hex(),
          "d00df5b81a0b783293584488ddb717e54381461448dbc4010f4fdc72f5cb23ea")
    check("first words", [hex(words.word()), hex(words.word())],
          ["0x7fa225e5af862450", "0x8bedc92b1dbe1cdd"])

    u = uscc(12)
    first = replacement(inp, seed, teams, u, "SCJG-03", 1, [])
    teams2 = [(x, [first if m == "SCJG-03" else m for m in ms] if x == u else ms) for x, ms in teams]
    second = replacement(inp, seed, teams2, u, "YJGL-05", 2, ["SCJG-03"])
    check("recusal 1 replacement", first, "SCJG-09")
    check("recusal 2 replacement", second, "YJGL-06")
    tight_error = run_draw(golden_inputs(workload_cap=3))[4]
    print(tight_error)

    doc = Path(__file__).with_name("DRAW.md")
    if doc.exists():
        md = doc.read_text(encoding="utf-8")
        seed_block = blocks_of(md, "### 11.2")[-1]
        check("seed text = DRAW.md §11.2", text, seed_block)
        check("seed = DRAW.md §11.2", f"The seed is `{seed.hex()}`" in md, True)
        check("transcript = DRAW.md §11.3", transcript, blocks_of(md, "### 11.3")[0])
        failing = blocks_of(md, "### 11.4")[0]
        expected = failing.replace(":\nsubject", ": subject").replace(";\nsubject", "; subject")
        check("unstaffable error = DRAW.md §11.4", tight_error + "\n", expected)
    else:
        print("DRAW.md not found beside this script: printed values only")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
