// libpcap, loaded when a capture is first opened (dlopen) instead of at every
// start-up: libpcap links libdbus, libsystemd and libgcrypt, whose
// relocations cost the dynamic loader ~1.5M instructions on every run of
// every command, 4x the whole of `portscope 22/tcp` (bench/RESULTS.md).
//
// Callers go through the table (LoadPcap()->next_ex(...)) and never name the
// library's symbols, so nothing links against it.
#ifndef PORTSCOPE_PACKET_LIBPCAP_LOADER_H_
#define PORTSCOPE_PACKET_LIBPCAP_LOADER_H_

#include <pcap/pcap.h>

#include <string>

namespace portscope::packet {

struct PcapApi {
  decltype(&::pcap_datalink) datalink = nullptr;
  decltype(&::pcap_close) close = nullptr;
  decltype(&::pcap_next_ex) next_ex = nullptr;
  decltype(&::pcap_geterr) geterr = nullptr;
  decltype(&::pcap_fopen_offline_with_tstamp_precision) fopen_offline = nullptr;
  decltype(&::pcap_open_dead_with_tstamp_precision) open_dead = nullptr;
  decltype(&::pcap_dump_open) dump_open = nullptr;
  decltype(&::pcap_dump) dump = nullptr;
  decltype(&::pcap_dump_file) dump_file = nullptr;
  decltype(&::pcap_dump_flush) dump_flush = nullptr;
  decltype(&::pcap_dump_close) dump_close = nullptr;
  decltype(&::pcap_datalink_val_to_name) datalink_val_to_name = nullptr;
  decltype(&::pcap_datalink_val_to_description) datalink_val_to_description = nullptr;
  // Live capture (live_capture.cc).
  decltype(&::pcap_create) create = nullptr;
  decltype(&::pcap_set_snaplen) set_snaplen = nullptr;
  decltype(&::pcap_set_promisc) set_promisc = nullptr;
  decltype(&::pcap_set_immediate_mode) set_immediate_mode = nullptr;
  decltype(&::pcap_set_buffer_size) set_buffer_size = nullptr;
  decltype(&::pcap_activate) activate = nullptr;
  decltype(&::pcap_statustostr) statustostr = nullptr;
  decltype(&::pcap_setdirection) setdirection = nullptr;
  decltype(&::pcap_compile) compile = nullptr;
  decltype(&::pcap_setfilter) setfilter = nullptr;
  decltype(&::pcap_freecode) freecode = nullptr;
  decltype(&::pcap_setnonblock) setnonblock = nullptr;
  decltype(&::pcap_get_selectable_fd) get_selectable_fd = nullptr;
  decltype(&::pcap_dispatch) dispatch = nullptr;
  decltype(&::pcap_stats) stats = nullptr;
};

/// The library, loaded on the first call (thread-safe). When it cannot be
/// loaded, returns nullptr and sets *error (if given) to why.
const PcapApi* LoadPcap(std::string* error = nullptr);

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_LIBPCAP_LOADER_H_
