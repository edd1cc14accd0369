#include "canary/port_choice.h"

#include <algorithm>
#include <fstream>

namespace portscope::canary {
namespace {

// splitmix64: a small, fully specified generator, so a seed picks the same
// ports on every platform (std::uniform_int_distribution is not specified).
uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::pair<uint16_t, uint16_t> EphemeralPortRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned lo = 0, hi = 0;
  if (in >> lo >> hi && lo > 0 && lo <= hi && hi <= 65535)
    return {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
  return {32768, 60999};
}

Result<std::vector<uint16_t>> ChooseUnassignedPorts(const registry::Registry& reg, const PortChoice& c) {
  using registry::IanaStatus;
  using registry::Proto;
  if (reg.layer(registry::SourceKind::kIana) == nullptr)
    return Status::InvalidArgument("no IANA data: cannot tell which ports are unassigned (portscope db import)");
  std::vector<uint16_t> candidates;
  for (uint32_t p = 1; p <= 65535; ++p) {
    const auto port = static_cast<uint16_t>(p);
    if (c.held.count(port)) continue;
    if (port >= c.ephemeral.first && port <= c.ephemeral.second) continue;
    if (reg.LookupBrief({port, Proto::kTcp}).status != IanaStatus::kUnassigned) continue;
    if (reg.LookupBrief({port, Proto::kUdp}).status != IanaStatus::kUnassigned) continue;
    candidates.push_back(port);
  }
  if (candidates.size() < c.count)
    return Status::InvalidArgument("only " + std::to_string(candidates.size()) +
                                   " unassigned ports are free here; asked for " + std::to_string(c.count));
  std::vector<uint16_t> chosen;
  // First half: the candidates scanners reach first, by nmap's open-frequency.
  if (const registry::LayerView* nmap = reg.layer(registry::SourceKind::kNmap)) {
    std::vector<std::pair<float, uint16_t>> seen;
    for (const auto& f : nmap->frequencies)
      if (f.proto == Proto::kTcp && f.open_frequency > 0 &&
          std::binary_search(candidates.begin(), candidates.end(), f.port))
        seen.emplace_back(f.open_frequency, f.port);
    std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < seen.size() && chosen.size() < c.count / 2; ++i) chosen.push_back(seen[i].second);
  }
  std::vector<uint16_t> rest;
  for (uint16_t p : candidates)
    if (std::find(chosen.begin(), chosen.end(), p) == chosen.end()) rest.push_back(p);
  // Second half: one from each of equal slices of what is left.
  uint64_t state = c.seed;
  const size_t want = c.count - chosen.size();
  for (size_t i = 0; i < want; ++i) {
    size_t begin = rest.size() * i / want, end = rest.size() * (i + 1) / want;
    if (end <= begin) continue;
    chosen.push_back(rest[begin + Next(&state) % (end - begin)]);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace portscope::canary
