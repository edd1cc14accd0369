#!/usr/bin/env python3
"""Print, in nmap open-frequency order, each port that has Wikipedia rows,
with its IANA entries and the Wikipedia values, for manual review."""
import sys
import sources as s

def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 700
    w = s.load_wiki(); f = s.load_nmap(); iana = s.load_iana()
    ports = sorted((p for p in f if s.max_freq(f, p) > 0), key=lambda p: (-s.max_freq(f, p), p))
    n = 0
    for p in ports:
        rows = s.wiki_rows_for(w, p)
        if not rows:
            continue
        n += 1
        if n > limit:
            break
        fr = " ".join("%s=%.6f" % (k, v) for k, v in sorted(f[p].items()))
        ents = []
        for svc, proto, desc in s.iana_for(iana, p):
            e = "%s/%s:%s" % (svc, proto, desc)
            if e not in ents:
                ents.append(e)
        print("#%d PORT %d  [%s]" % (n, p, fr))
        print("   IANA: " + (" | ".join(ents) if ents else "-"))
        for r in rows:
            rng = "" if r["start"] == r["end"] else " (%d-%d)" % (r["start"], r["end"])
            print("   W%s: %s" % (rng, r["value"]))

if __name__ == "__main__":
    main()
