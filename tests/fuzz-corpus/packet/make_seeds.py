#!/usr/bin/env python3
"""Writes the seed corpus for src/packet/*_fuzz.cc (run once; output committed).

decode/: byte 0 is how much the capture cut (x37 bytes, 0 = none), then a frame.
capture/: tiny pcap and pcapng files.
"""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def ipv4(proto, payload, flags_offset=0, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 0x1234,
                      flags_offset, 64, proto, 0, bytes([192, 0, 2, 1]), bytes([198, 51, 100, 7]))
    return hdr + options + payload


def ipv6(nxt, payload):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 6 << 28, len(payload), nxt, 64) + src + dst + payload


def tcp(dport, flags=0x02, options=b""):
    return struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, (5 + len(options) // 4) << 4, flags, 1024,
                       0, 0) + options


def udp(dport, payload=b""):
    return struct.pack("!HHHH", 53124, dport, 8 + len(payload), 0) + payload


def icmp(t, code, body):
    return bytes([t, code, 0, 0, 0, 0, 0, 0]) + body


def ether(ethertype, payload, tags=()):
    b = bytes.fromhex("407c7db1e9b70024" "3898cb00")
    for tpid in tags:
        b += struct.pack("!HH", tpid, 943)
    return b + struct.pack("!H", ethertype) + payload


def sll2(proto, payload):
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\0\x24\x38\x98\xcb\0\0\0") + payload


def sll(proto, payload):
    return struct.pack("!HHH8sH", 0, 1, 6, b"\0\x24\x38\x98\xcb\0\0\0", proto) + payload


syn_opts = bytes([2, 4, 5, 0xb4, 1, 3, 3, 10, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0])
quote_udp = ipv4(17, udp(161, b"\x30" * 8))[:28]
frames = {
    "eth_vlan_ipv4_syn": b"\0" + ether(0x0800, ipv4(6, tcp(443, options=syn_opts)), (0x8100,)),
    "eth_qinq_ipv4_udp": b"\0" + ether(0x0800, ipv4(17, udp(53, b"abc")), (0x88a8, 0x8100)),
    "eth_icmp_port_unreachable": b"\0" + ether(0x0800, ipv4(1, icmp(3, 3, quote_udp))),
    "eth_ipv4_first_fragment": b"\0" + ether(0x0800, ipv4(17, udp(161, b"x" * 16), 0x2000)),
    "sll_ipv4_rst": b"\0" + sll(0x0800, ipv4(6, tcp(80, 0x04), options=b"\x94\x04\0\0")),
    "sll2_ipv6_ext_udp": b"\0" + sll2(0x86dd, ipv6(0, bytes([44, 0, 1, 4, 0, 0, 0, 0])
                                                   + bytes([17, 0, 0, 1, 1, 2, 3, 4]) + udp(53))),
    "null_ipv6_icmpv6_unreachable": b"\0" + struct.pack("<I", 30)
    + ipv6(58, icmp(1, 4, ipv6(6, tcp(22)))),
    "loop_ipv4_syn": b"\0" + struct.pack("!I", 2) + ipv4(6, tcp(22)),
    "raw_snapped_ipv4": b"\x05" + (ipv4(6, tcp(8080) + b"p" * 200))[:64],
}

os.makedirs(os.path.join(here, "decode"), exist_ok=True)
for name, data in frames.items():
    with open(os.path.join(here, "decode", name), "wb") as f:
        f.write(data)


def pcap(linktype, records, snaplen=65535):
    b = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for sec, usec, data, wire in records:
        b += struct.pack("<IIII", sec, usec, len(data), wire) + data
    return b


def pcapng(linktype, records):
    b = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
    b += struct.pack("<IIHHII", 1, 20, linktype, 0, 262144, 20)
    for sec, usec, data, wire in records:
        pad = (4 - len(data) % 4) % 4
        ts = sec * 1000000 + usec
        total = 32 + len(data) + pad
        b += struct.pack("<IIIIIII", 6, total, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), wire)
        b += data + b"\0" * pad + struct.pack("<I", total)
    return b


e1 = ether(0x0800, ipv4(6, tcp(697)))
e2 = ether(0x0800, ipv4(6, tcp(217)))
files = {
    "ethernet.pcap": pcap(1, [(1566411407, 841604, e1, len(e1)), (1566411408, 0, e2, len(e2))]),
    "ethernet.pcapng": pcapng(1, [(1566411407, 841604, e1, len(e1)), (1566411408, 0, e2, len(e2))]),
    "sll2_snapped.pcap": pcap(276, [(1, 2, sll2(0x0800, ipv4(6, tcp(1) + b"z" * 100))[:60], 160)], 60),
    "raw.pcap": pcap(101, [(1, 2, ipv6(17, udp(5353)), 48)]),
}
os.makedirs(os.path.join(here, "capture"), exist_ok=True)
for name, data in files.items():
    with open(os.path.join(here, "capture", name), "wb") as f:
        f.write(data)
