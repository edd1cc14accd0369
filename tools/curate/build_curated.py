#!/usr/bin/env python3
"""Build data/curated/{unofficial,security}.tsv from the hand-written drafts.

The drafts (unofficial_rows.txt, security_rows.txt, in this folder) hold the
sentences, written by hand in the project's own words. This script only adds
the header and source column, and sorts; it never copies text from a source.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "data", "curated")
VERSION = "2026-11-22"

WIKI = "Wikipedia, List of TCP and UDP port numbers, retrieved 2025-04-02"
SOURCES = {"wiki": WIKI, "psad": "psad 2.4.6 signatures", "nmap": "nmap-services 7.93"}


def read_draft(name, nfields):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != nfields:
                sys.exit("%s:%d: expected %d fields, got %d" % (name, lineno, nfields, len(parts)))
            rows.append(parts)
    return rows


def port_key(port):
    lo, _, hi = port.partition("-")
    return int(lo), int(hi or lo)


def sort_rows(rows):
    # by port number (range start), then proto; range end and text only to be deterministic
    return sorted(rows, key=lambda r: (port_key(r[0])[0], r[1], port_key(r[0])[1], r[2]))


def write(path, title, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# portscope curated facts: %s\n" % title)
        f.write("# version: %s\n" % VERSION)
        f.write("# columns: port\tproto\ttext\tsource\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    un = [(p, proto, text, WIKI) for p, proto, text in read_draft("unofficial_rows.txt", 3)]
    write(os.path.join(OUT_DIR, "unofficial.tsv"), "unofficial uses", sort_rows(un))
    sec = []
    for p, proto, key, text in read_draft("security_rows.txt", 4):
        if key not in SOURCES:
            sys.exit("security_rows.txt: unknown source key %r" % key)
        sec.append((p, proto, text, SOURCES[key]))
    write(os.path.join(OUT_DIR, "security.tsv"), "security notes", sort_rows(sec))
    print("unofficial.tsv: %d rows, security.tsv: %d rows" % (len(un), len(sec)))


if __name__ == "__main__":
    main()
