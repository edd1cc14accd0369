#include "store/event.h"

#include <array>

#include "base/text.h"

namespace portscope::store {
namespace {

template <typename E, size_t N>
std::optional<E> ParseName(std::string_view name, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i)
    if (EqualsIgnoreCase(name, names[i])) return static_cast<E>(i);
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kTransports = {"tcp", "udp", "icmp", "mixed"};
constexpr std::array<std::string_view, 3> kPhases = {"started", "updated", "ended"};
constexpr std::array<std::string_view, 9> kKinds = {"syn", "connect", "fin",    "null", "xmas",
                                                    "ack", "maimon",  "udp", "mixed"};
constexpr std::array<std::string_view, 4> kShapes = {"single", "vertical", "horizontal", "block"};

}  // namespace

std::string_view TransportName(Transport t) { return kTransports[static_cast<size_t>(t)]; }
std::optional<Transport> ParseTransport(std::string_view n) { return ParseName<Transport>(n, kTransports); }
std::string_view AlertPhaseName(AlertPhase p) { return kPhases[static_cast<size_t>(p)]; }
std::optional<AlertPhase> ParseAlertPhase(std::string_view n) { return ParseName<AlertPhase>(n, kPhases); }
std::string_view ScanKindName(ScanKind k) { return kKinds[static_cast<size_t>(k)]; }
std::optional<ScanKind> ParseScanKind(std::string_view n) { return ParseName<ScanKind>(n, kKinds); }
std::string_view ScanShapeName(ScanShape s) { return kShapes[static_cast<size_t>(s)]; }
std::optional<ScanShape> ParseScanShape(std::string_view n) { return ParseName<ScanShape>(n, kShapes); }

std::string JoinAlgorithms(const std::vector<std::string>& a) {
  std::string out;
  for (const auto& s : a) {
    if (s.empty()) continue;
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitAlgorithms(std::string_view s) {
  std::vector<std::string> out;
  for (auto part : Split(s, ','))
    if (!part.empty()) out.emplace_back(part);
  return out;
}

}  // namespace portscope::store
