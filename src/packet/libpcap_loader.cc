#include "packet/libpcap_loader.h"

#include <dlfcn.h>

#include <mutex>

namespace portscope::packet {

const PcapApi* LoadPcap(std::string* error) {
  static std::once_flag once;
  static PcapApi api;
  static const PcapApi* loaded = nullptr;
  static std::string why;
  std::call_once(once, [] {
    void* lib = nullptr;
    for (const char* name : {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"}) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib) break;
    }
    if (!lib) {
      const char* e = dlerror();
      why = std::string("cannot load libpcap (apt-get install libpcap0.8): ") + (e ? e : "not found");
      return;
    }
    bool ok = true;
    auto sym = [&](auto* slot, const char* name) {
      *slot = reinterpret_cast<std::remove_reference_t<decltype(*slot)>>(dlsym(lib, name));
      if (!*slot) {
        ok = false;
        why = std::string("libpcap lacks ") + name;
      }
    };
    sym(&api.datalink, "pcap_datalink");
    sym(&api.close, "pcap_close");
    sym(&api.next_ex, "pcap_next_ex");
    sym(&api.geterr, "pcap_geterr");
    sym(&api.fopen_offline, "pcap_fopen_offline_with_tstamp_precision");
    sym(&api.open_dead, "pcap_open_dead_with_tstamp_precision");
    sym(&api.dump_open, "pcap_dump_open");
    sym(&api.dump, "pcap_dump");
    sym(&api.dump_file, "pcap_dump_file");
    sym(&api.dump_flush, "pcap_dump_flush");
    sym(&api.dump_close, "pcap_dump_close");
    sym(&api.datalink_val_to_name, "pcap_datalink_val_to_name");
    sym(&api.datalink_val_to_description, "pcap_datalink_val_to_description");
    sym(&api.create, "pcap_create");
    sym(&api.set_snaplen, "pcap_set_snaplen");
    sym(&api.set_promisc, "pcap_set_promisc");
    sym(&api.set_immediate_mode, "pcap_set_immediate_mode");
    sym(&api.set_buffer_size, "pcap_set_buffer_size");
    sym(&api.activate, "pcap_activate");
    sym(&api.statustostr, "pcap_statustostr");
    sym(&api.setdirection, "pcap_setdirection");
    sym(&api.compile, "pcap_compile");
    sym(&api.setfilter, "pcap_setfilter");
    sym(&api.freecode, "pcap_freecode");
    sym(&api.setnonblock, "pcap_setnonblock");
    sym(&api.get_selectable_fd, "pcap_get_selectable_fd");
    sym(&api.dispatch, "pcap_dispatch");
    sym(&api.stats, "pcap_stats");
    if (ok) loaded = &api;
  });
  if (!loaded && error) *error = why;
  return loaded;
}

}  // namespace portscope::packet
