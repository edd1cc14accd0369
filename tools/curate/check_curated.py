#!/usr/bin/env python3
"""Check data/curated/unofficial.tsv and data/curated/security.tsv.

Checks: file format (header, 4 fields, port ranges, proto, text limits,
allowed sources), sort order, coverage (>= MIN_PORTS distinct ports, required
ports, the top-N most-seen ports that have a non-IANA Wikipedia use), that every
row is backed by a source row for its port, at most 4 rows per port, and that
no text shares 7 or more consecutive words with a source string.

Usage: check_curated.py [--top N] [--min-ports N] [-v] [--unofficial F] [--security F]
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import os
import re
import sys

import sources as s

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
UNOFFICIAL = os.path.join(ROOT, "data", "curated", "unofficial.tsv")
SECURITY = os.path.join(ROOT, "data", "curated", "security.tsv")
OVERRIDES = os.path.join(HERE, "iana_overrides.tsv")

WIKI_SRC = "Wikipedia, List of TCP and UDP port numbers, retrieved 2025-04-02"
PSAD_SRC = "psad 2.4.6 signatures"
NMAP_SRC = "nmap-services 7.93"
HEADER_TITLE = {"unofficial": "unofficial uses", "security": "security notes"}
VERSION_LINE = "# version: 2026-11-22"
COLUMNS_LINE = "# columns: port\tproto\ttext\tsource"
PROTOS = ("tcp", "udp", "tcp/udp")
REQUIRED = (8080, 8443, 25565, 27017, 3000, 5000)
MAX_ROWS_PER_PORT = 4
NGRAM = 7

errors = []


def err(msg):
    errors.append(msg)


# ---------------------------------------------------------------- format

def parse_port(field):
    m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", field)
    if not m:
        return None
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if (m.group(1) != str(lo)) or (m.group(2) and m.group(2) != str(hi)):
        return None  # no leading zeros
    if not (0 <= lo <= hi <= 65535):
        return None
    return lo, hi


BAD_TEXT = [
    (re.compile(r"[\t\r\n]"), "tab or newline"),
    (re.compile(r"</?[A-Za-z][^>]*>"), "HTML tag"),
    (re.compile(r"\[[^\]]*\]"), "[link] or bracketed markup"),
    (re.compile(r"\]\(|https?://|www\."), "link"),
    (re.compile(r"[*_`#]{2,}|^[#>*-] |`"), "markdown"),
    (re.compile(r"&[a-z]+;|&#\d+;"), "HTML entity"),
]


def load_tsv(path, kind, allowed_sources):
    rows = []
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        err("%s: cannot read (%s)" % (path, e))
        return rows
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        err("%s: not UTF-8 (%s)" % (path, e))
        return rows
    if "\r" in text:
        err("%s: CR characters found (LF line endings required)" % path)
    if text.startswith("\ufeff"):
        err("%s: starts with a byte-order mark" % path)
    if not text.endswith("\n"):
        err("%s: last line lacks a newline" % path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    want = ["# portscope curated facts: %s" % HEADER_TITLE[kind], VERSION_LINE, COLUMNS_LINE]
    for i, w in enumerate(want):
        if i >= len(lines) or lines[i] != w:
            err("%s:%d: header line must be %r" % (path, i + 1, w))
    for n, line in enumerate(lines[3:], 4):
        if line.startswith("#"):
            continue
        where = "%s:%d" % (os.path.basename(path), n)
        if line.strip() == "":
            err("%s: empty line" % where)
            continue
        f = line.split("\t")
        if len(f) != 4:
            err("%s: expected 4 tab-separated fields, got %d" % (where, len(f)))
            continue
        port, proto, txt, src = f
        rng = parse_port(port)
        if rng is None:
            err("%s: bad port %r" % (where, port))
            continue
        if proto not in PROTOS:
            err("%s: bad proto %r" % (where, proto))
        if not (10 <= len(txt) <= 160):
            err("%s: text length %d outside 10..160" % (where, len(txt)))
        if txt != txt.strip() or "  " in txt:
            err("%s: stray whitespace in text" % where)
        if txt.endswith("."):
            err("%s: text ends with a period" % where)
        for rx, what in BAD_TEXT:
            if rx.search(txt):
                err("%s: text contains %s: %r" % (where, what, txt))
        if src not in allowed_sources:
            err("%s: source %r not allowed here" % (where, src))
        rows.append({"line": n, "where": where, "port": port, "lo": rng[0], "hi": rng[1],
                     "proto": proto, "text": txt, "source": src})
    return rows


def check_sorted(rows, name):
    prev = None
    for r in rows:
        key = (r["lo"], r["proto"])
        if prev is not None and key < prev:
            err("%s: not sorted by port then proto (after %s %s)" % (r["where"], prev[0], prev[1]))
        prev = key


def check_duplicates(rows):
    seen = set()
    for r in rows:
        k = (r["port"], r["proto"], r["text"].lower())
        if k in seen:
            err("%s: duplicate row" % r["where"])
        seen.add(k)


# ---------------------------------------------------------------- n-grams

def words(t):
    return re.sub(r"[^0-9a-z]+", " ", t.lower()).split()


def ngrams(ws, n=NGRAM):
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


# ---------------------------------------------------------------- IANA heuristic

STOP = set("""a an and are as at be by for from in into is it its of on or over the this to
use used uses using via with which also see port ports protocol protocols service services
server servers system systems network networks data default client clients remote based
version versions only not no official officially registered assigned iana tcp udp
software inc corp corporation company management manager communication communications
access application applications connection connections control over daemon alternate
alternative web protocol""".split())


def toks(t):
    out = set()
    for w in re.split(r"[^0-9a-z]+", t.lower()):
        if len(w) >= 3 and w not in STOP:
            out.add(w)
    return out


def iana_tokens(entries):
    out = set()
    for svc, proto, desc in entries:
        out |= toks(svc.replace("-", " ").replace("_", " "))
        compact = re.sub(r"[^0-9a-z]", "", svc.lower())
        if len(compact) >= 3:
            out.add(compact)
        out |= toks(desc)
    return out


def row_is_official(value, entries):
    """Heuristic: a Wikipedia use is the IANA assignment when it names the same thing."""
    if not entries:
        return False
    v = value.lower()
    if re.match(r"\s*(reserved|unassigned)\b", v):
        return True
    it = iana_tokens(entries)
    vt = toks(value) | {re.sub(r"[^0-9a-z]", "", w) for w in re.findall(r"[A-Za-z0-9_.-]{3,}", v)}
    return bool(it & vt)


def load_overrides():
    """port<TAB>verdict(O|U)<TAB>reason: manual verdicts that replace the heuristic."""
    ov = {}
    if not os.path.exists(OVERRIDES):
        return ov
    with open(OVERRIDES, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[1] in ("O", "U"):
                ov[int(parts[0])] = parts[1]
    return ov


# ---------------------------------------------------------------- main

def covering(rows, port, narrow_only=True):
    out = []
    for r in rows:
        if r["lo"] <= port <= r["hi"]:
            if not narrow_only or r["hi"] - r["lo"] + 1 <= s.WIDE_RANGE:
                out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=320)
    ap.add_argument("--min-ports", type=int, default=320)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--unofficial", default=UNOFFICIAL, help="path of unofficial.tsv")
    ap.add_argument("--security", default=SECURITY, help="path of security.tsv")
    a = ap.parse_args()

    wiki = s.load_wiki()
    iana = s.load_iana()
    nmap = s.load_nmap()
    troj = s.load_trojans()

    un = load_tsv(a.unofficial, "unofficial", {WIKI_SRC})
    sec = load_tsv(a.security, "security", {WIKI_SRC, PSAD_SRC, NMAP_SRC})
    for rows, name in ((un, "unofficial.tsv"), (sec, "security.tsv")):
        check_sorted(rows, name)
        check_duplicates(rows)

    # --- every unofficial row backed by a Wikipedia row for each port it names
    for r in un:
        for p in range(r["lo"], r["hi"] + 1):
            if not s.wiki_rows_for(wiki, p, include_wide=True):
                err("%s: no Wikipedia row covers port %d" % (r["where"], p))
                break

    # --- at most 4 rows per port (ranges wider than WIDE_RANGE are generic and not counted)
    touched = set()
    for r in un:
        if r["hi"] - r["lo"] + 1 <= s.WIDE_RANGE:
            touched.update(range(r["lo"], r["hi"] + 1))
    for p in sorted(touched):
        c = covering(un, p)
        if len(c) > MAX_ROWS_PER_PORT:
            err("unofficial.tsv: port %d has %d rows (max %d): lines %s" % (
                p, len(c), MAX_ROWS_PER_PORT, ",".join(str(x["line"]) for x in c)))

    # --- distinct ports and required ports
    distinct = {r["port"] for r in un}
    single = {r["lo"] for r in un if r["lo"] == r["hi"]}
    if len(distinct) < a.min_ports:
        err("unofficial.tsv: %d distinct port fields, need >= %d" % (len(distinct), a.min_ports))
    for p in REQUIRED:
        c = covering(un, p)
        if not c:
            err("unofficial.tsv: required port %d missing" % p)

    # --- security rows backed by their own source
    for r in sec:
        ok = False
        if r["source"] == WIKI_SRC:
            ok = all(s.wiki_rows_for(wiki, p, include_wide=True) for p in range(r["lo"], r["hi"] + 1))
        else:
            want = "psad" if r["source"] == PSAD_SRC else "nmap"
            for t in troj:
                if not t["source"].startswith(want):
                    continue
                if r["proto"] != "tcp/udp" and t["proto"] != r["proto"]:
                    continue
                if t["lo"] <= r["lo"] and r["hi"] <= t["hi"]:
                    ok = True
                    break
        if not ok:
            err("%s: no %s row backs port %s/%s" % (r["where"], r["source"], r["port"], r["proto"]))
    # every trojan-file row should have a note
    for t in troj:
        want = PSAD_SRC if t["source"].startswith("psad") else NMAP_SRC
        if not any(r["source"] == want and r["lo"] <= t["lo"] and t["hi"] <= r["hi"]
                   and r["proto"] in (t["proto"], "tcp/udp") for r in sec):
            err("security.tsv: no note for %s %s/%s (%s)" % (t["source"], t["port"], t["proto"], t["name"]))

    # --- no 7-word run shared with any source string
    src_grams = {}
    for w in wiki:
        for field in ("value", "summary"):
            for g in ngrams(words(w.get(field) or "")):
                src_grams.setdefault(g, "wikipedia %d-%d %s" % (w["start"], w["end"], field))
    for t in troj:
        for field in ("name", "note"):
            for g in ngrams(words(t.get(field, ""))):
                src_grams.setdefault(g, "trojan-ports %s %s" % (t["port"], field))
    for r in un + sec:
        for g in ngrams(words(r["text"])):
            if g in src_grams:
                err("%s: shares %d words with %s: %r" % (r["where"], NGRAM, src_grams[g], " ".join(g)))
                break

    # --- top-N most-seen ports that have a non-IANA Wikipedia use
    overrides = load_overrides()
    ranked = sorted((p for p in nmap if s.max_freq(nmap, p) > 0), key=lambda p: (-s.max_freq(nmap, p), p))
    with_unofficial = []
    for p in ranked:
        wrows = s.wiki_rows_for(wiki, p)
        if not wrows:
            continue
        if p in overrides:
            has = overrides[p] == "U"
        else:
            entries = s.iana_for(iana, p)
            has = any(not row_is_official(w["value"], entries) for w in wrows)
        if has:
            with_unofficial.append(p)
    top = with_unofficial[:a.top]
    missing = [p for p in top if not covering(un, p)]

    # --- report
    print("unofficial.tsv: %d rows, %d distinct port fields (%d single ports, %d ranges)" % (
        len(un), len(distinct), len(single), len(distinct) - len(single)))
    print("security.tsv:   %d rows, %d distinct port fields (%s)" % (
        len(sec), len({r['port'] for r in sec}),
        ", ".join("%s: %d" % (k, sum(1 for r in sec if r['source'] == k)) for k in (PSAD_SRC, NMAP_SRC, WIKI_SRC))))
    for p in REQUIRED:
        c = covering(un, p)
        print("required %5d: %s" % (p, "; ".join("%s/%s" % (x["port"], x["proto"]) for x in c) or "MISSING"))
    print("ports with a non-IANA Wikipedia use, ranked by nmap open-frequency: %d (overrides: %d)" % (
        len(with_unofficial), len(overrides)))
    if top:
        last = top[-1]
        print("top %d ends at port %d (open-frequency %.6f); covered %d, missing %d" % (
            len(top), last, s.max_freq(nmap, last), len(top) - len(missing), len(missing)))
    for p in missing:
        print("  missing top-%d port %d (freq %.6f): %s" % (
            a.top, p, s.max_freq(nmap, p), " | ".join(w["value"][:70] for w in s.wiki_rows_for(wiki, p))))
        err("top-%d port %d has a non-IANA Wikipedia use but no row" % (a.top, p))
    if a.verbose:
        extra = [p for p in with_unofficial[a.top:] if not covering(un, p)]
        print("beyond the top %d, %d more ports with a non-IANA use have no row" % (a.top, len(extra)))
        for p in extra[:60]:
            print("  %d (%.6f): %s" % (p, s.max_freq(nmap, p),
                                        " | ".join(w["value"][:60] for w in s.wiki_rows_for(wiki, p))))
    if errors:
        print("\nFAIL: %d problem(s)" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
