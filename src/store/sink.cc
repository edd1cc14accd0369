#include "store/sink.h"

namespace portscope::store {

Event SummaryToEvent(const Summary& s) {
  Event e;
  e.time_us = s.first_us;
  e.sensor = s.sensor;
  e.src = s.src;
  e.dst = s.dst;
  e.transport = s.transport;
  e.action = std::string(kSummaryAction);
  e.count = s.count;
  e.last_us = s.last_us;
  e.distinct_ports = static_cast<uint32_t>(s.ports.size());
  e.ports = s.ports.ToVector();
  if (e.ports.size() == 1) e.dport = e.ports[0];
  return e;
}

}  // namespace portscope::store
