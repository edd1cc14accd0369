"""Shared loaders for the curated-facts tooling (read-only access to sources)."""
import csv
import json
import os

SHARED = os.environ.get("PORTSCOPE_SHARED", "/work/shared/data")
WIKI_JSON = os.path.join(SHARED, "reference", "wikipedia-port-uses.json")
IANA_CSV = os.path.join(SHARED, "iana", "service-names-port-numbers.csv")
TROJAN_TSV = os.path.join(SHARED, "reference", "trojan-ports.tsv")
NMAP_SERVICES = os.environ.get("PORTSCOPE_NMAP_SERVICES", "/usr/share/nmap/nmap-services")

# Wikipedia rows spanning more than this many ports are generic ranges
# (ephemeral ranges, "VoIP uses 10000-20000", ...); they are not treated as a
# port-specific use when choosing which ports must be covered.
WIDE_RANGE = 100


def load_wiki():
    with open(WIKI_JSON, encoding="utf-8") as f:
        rows = json.load(f)
    # Rows with an empty value (reserved blocks such as 225-241) state no use.
    return [r for r in rows if isinstance(r.get("start"), int)
            and isinstance(r.get("end"), int) and (r.get("value") or "").strip()]


def wiki_rows_for(rows, port, include_wide=False):
    out = []
    for r in rows:
        if r["start"] <= port <= r["end"]:
            if include_wide or r["end"] - r["start"] + 1 <= WIDE_RANGE:
                out.append(r)
    return out


def load_iana():
    """port -> list of (service, proto, description); ranges expanded lazily."""
    single = {}
    ranges = []
    with open(IANA_CSV, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            p = (row.get("Port Number") or "").strip()
            if not p:
                continue
            ent = ((row.get("Service Name") or "").strip(),
                   (row.get("Transport Protocol") or "").strip(),
                   (row.get("Description") or "").strip())
            if "-" in p:
                a, b = p.split("-", 1)
                ranges.append((int(a), int(b), ent))
            else:
                single.setdefault(int(p), []).append(ent)
    return single, ranges


def iana_for(iana, port):
    single, ranges = iana
    out = list(single.get(port, []))
    for a, b, ent in ranges:
        if a <= port <= b:
            out.append(ent)
    return out


def load_nmap():
    """port -> {proto: freq} for tcp and udp."""
    freq = {}
    with open(NMAP_SERVICES, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            pp = parts[1]
            if "/" not in pp:
                continue
            port, proto = pp.split("/", 1)
            if proto not in ("tcp", "udp"):
                continue
            try:
                freq.setdefault(int(port), {})[proto] = float(parts[2])
            except ValueError:
                continue
    return freq


def max_freq(freq, port):
    d = freq.get(port, {})
    return max(d.values()) if d else 0.0


def load_trojans():
    rows = []
    with open(TROJAN_TSV, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (len(header) - len(parts))
            r = dict(zip(header, parts))
            p = r["port"].replace(":", "-")
            if "-" in p:
                a, b = p.split("-", 1)
                r["lo"], r["hi"] = int(a), int(b)
            else:
                r["lo"] = r["hi"] = int(p)
            rows.append(r)
    return rows
