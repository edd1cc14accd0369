#!/usr/bin/env bash
# derive-expected.sh - print expected.tsv for the pcaps in this directory,
# computed from the captures themselves (tcpdump -nn -r | awk), not from the
# commands that made them.
#
#   tests/captures/derive-expected.sh [DIR] > tests/captures/expected.tsv
#
# Columns: file, source, kind, distinct_ports, notes
#   source          IPv4 address that sent the first TCP/UDP packet (the prober)
#   kind            from the TCP flags of the first packet the source sends to
#                   each port: S -> syn (or connect when the source completes the
#                   handshake with a bare ACK), F -> fin, none -> null,
#                   FPU -> xmas, . (ACK) -> ack, F. -> maimon; UDP-only -> udp;
#                   TCP payload sent by the source (application traffic) -> none
#   distinct_ports  distinct destination ports (TCP + UDP) the source sent to
#   notes           key=value; ...:
#                   ports=       the destination ports, as ranges
#                   open=        syn/connect/none: ports answering SYN-ACK;
#                                udp/none: ports answering with UDP
#                   open|filtered= fin/null/xmas/maimon: probed ports that got no RST
#                   unfiltered=  ack: ports answering RST
#                   probes=      packets from the source opening a port (TCP first-flag
#                                packets incl. retransmits, or UDP datagrams)
#                   extra=       probes beyond one per port (retransmissions, or a
#                                second payload to the same UDP port)
#                   src_rst=     RSTs sent by the source (kernel and scanner alike)
#                   tcp_syn=, udp_out=, udp_in=  (none only) connections opened by the
#                                source, UDP datagrams sent by / to the source
#                   arp=         ARP packets in the capture
#                   packets=     all packets in the capture
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${1:-$HERE}   # directory holding the pcaps
FILES=(${FILES_OVERRIDE:-nmap-sS nmap-sT nmap-sF nmap-sN nmap-sX nmap-sA nmap-sM nmap-sU nmap-T1 masscan-syn benign})

derive() {
  local f=$1
  {
    # one line per TCP/UDP packet, in capture order: "T|U <tcpdump line>"
    paste -d ' ' \
      <(tcpdump -nn -q -r "$f" 'tcp or udp' 2>/dev/null | awk '{print ($NF ~ /^[0-9]+$/ && $(NF-1) == "tcp") ? "T" : "U"}') \
      <(tcpdump -nn -r "$f" 'tcp or udp' 2>/dev/null)
    echo "A $(tcpdump -nn -r "$f" arp 2>/dev/null | wc -l)"
    echo "N $(tcpdump -nn -r "$f" 2>/dev/null | wc -l)"
  } | awk -v file="$(basename "$f")" '
    function host(a,  n, p) { n = split(a, p, "."); return p[1] "." p[2] "." p[3] "." p[4] }
    function port(a,  n, p) { n = split(a, p, "."); sub(":", "", p[5]); return p[5] + 0 }
    function ranges(set,  n, i, k, arr, out, lo, hi) {
      n = 0; for (k in set) arr[++n] = k + 0
      # insertion sort (small n)
      for (i = 2; i <= n; i++) { k = arr[i]; j = i - 1; while (j > 0 && arr[j] > k) { arr[j + 1] = arr[j]; j-- } arr[j + 1] = k }
      out = ""; i = 1
      while (i <= n) {
        lo = arr[i]; hi = lo
        while (i < n && arr[i + 1] == hi + 1) { i++; hi = arr[i] }
        out = out (out == "" ? "" : ",") (lo == hi ? lo : lo "-" hi); i++
      }
      return out == "" ? "-" : out
    }
    $1 == "A" { arp = $2; next }
    $1 == "N" { total = $2; next }
    {
      proto = $1; s = host($4); d = $6; sp = port($4); dp = port($6); dh = host(d)
      if (proto == "T") {
        fl = ""; if (match($0, /Flags \[[^]]*\]/)) fl = substr($0, RSTART + 7, RLENGTH - 8)
        len = 0; if (match($0, /length [0-9]+/)) len = substr($0, RSTART + 7, RLENGTH - 7) + 0
        n++; S[n] = s; D[n] = dh; SP[n] = sp; DP[n] = dp; F[n] = fl; L[n] = len; P[n] = "T"
      } else {
        n++; S[n] = s; D[n] = dh; SP[n] = sp; DP[n] = dp; F[n] = ""; L[n] = 0; P[n] = "U"
      }
      if (n == 1) src = s
    }
    END {
      tcp = 0; udp = 0; payload = 0; bareack = 0; rst = 0; probes = 0
      for (i = 1; i <= n; i++) {
        if (S[i] != src) continue
        ports[DP[i]] = 1
        if (P[i] == "U") { udp++; uports[DP[i]] = 1; probes++; continue }
        tcp++
        if (F[i] == "S") syn++
        if (L[i] > 0) payload = 1
        if (F[i] ~ /R/) rst++
        if (!(DP[i] in first)) { first[DP[i]] = F[i]; kinds[F[i]]++ }
        if (F[i] == first[DP[i]]) probes++
        if (F[i] == "." && first[DP[i]] == "S") bareack = 1
      }
      nk = 0; for (k in kinds) { nk++; fk = k }
      if (payload) kind = "none"
      else if (tcp == 0 && udp > 0) kind = "udp"
      else if (nk != 1) kind = "mixed"
      else if (fk == "S") kind = bareack ? "connect" : "syn"
      else if (fk == "F") kind = "fin"
      else if (fk == "none") kind = "null"
      else if (fk == "FPU") kind = "xmas"
      else if (fk == ".") kind = "ack"
      else if (fk == "F.") kind = "maimon"
      else kind = "unknown(" fk ")"
      # replies from the target to the source
      for (i = 1; i <= n; i++) {
        if (D[i] != src) continue
        if (P[i] == "U") { uopen[SP[i]] = 1; udpin++; continue }
        if (F[i] == "S.") synack[SP[i]] = 1
        if (F[i] ~ /R/) rstd[SP[i]] = 1
      }
      np = 0; for (p in ports) np++
      notes = "ports=" ranges(ports)
      if (kind == "syn" || kind == "connect") notes = notes "; open=" ranges(synack)
      else if (kind == "udp") notes = notes "; open=" ranges(uopen)
      else if (kind == "none") {
        for (p in synack) any[p] = 1; for (p in uopen) any[p] = 1
        notes = notes "; open=" ranges(any) "; tcp_syn=" syn + 0 "; udp_out=" udp + 0 "; udp_in=" udpin + 0
      } else if (kind == "ack") {
        notes = notes "; unfiltered=" ranges(rstd)
        for (p in ports) if (!(p in rstd)) filt[p] = 1
        notes = notes "; filtered=" ranges(filt)
      } else {
        for (p in ports) if (!(p in rstd)) of[p] = 1
        notes = notes "; open|filtered=" ranges(of)
      }
      if (kind != "none") notes = notes "; probes=" probes "; extra=" (probes - np)
      notes = notes "; src_rst=" rst "; arp=" arp "; packets=" total
      printf "%s\t%s\t%s\t%d\t%s\n", file, src, kind, np, notes
    }'
}

printf 'file\tsource\tkind\tdistinct_ports\tnotes\n'
for f in "${FILES[@]}"; do
  derive "$DIR/$f.pcap"
done
