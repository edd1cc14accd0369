// Vocabulary of the port registry: protocols, port references, RFC 6335 range
// classes, and where a fact came from.
#ifndef PORTSCOPE_REGISTRY_TYPES_H_
#define PORTSCOPE_REGISTRY_TYPES_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace portscope::registry {

enum class Proto : uint8_t { kTcp = 0, kUdp = 1, kSctp = 2, kDccp = 3 };
inline constexpr int kProtoCount = 4;
inline constexpr Proto kAllProtos[kProtoCount] = {Proto::kTcp, Proto::kUdp, Proto::kSctp,
                                                  Proto::kDccp};

/// One bit per Proto; a registry row can cover several (Wireshark's "tcp/udp").
using ProtoMask = uint8_t;
inline constexpr ProtoMask kAllProtoMask = 0x0F;
constexpr ProtoMask MaskOf(Proto p) { return static_cast<ProtoMask>(1u << static_cast<int>(p)); }

std::string_view ProtoName(Proto p);
std::optional<Proto> ParseProto(std::string_view name);  // case-insensitive

struct PortRef {
  uint16_t port;
  Proto proto;
  friend bool operator==(const PortRef&, const PortRef&) = default;
};

/// RFC 6335 section 6 port ranges.
enum class RangeClass : uint8_t { kSystem, kUser, kDynamic };
RangeClass ClassOf(uint16_t port);
std::string_view RangeKey(RangeClass c);   // "system" | "user" | "dynamic" (JSON)
std::string_view RangeTitle(RangeClass c); // "System Ports" ...
uint16_t RangeFirst(RangeClass c);
uint16_t RangeLast(RangeClass c);

/// The kinds of source a layer of the registry comes from. A user-imported
/// layer replaces the built-in layer of the same kind.
enum class SourceKind : uint8_t { kIana = 0, kNmap = 1, kEtcServices = 2, kCurated = 3 };
inline constexpr int kSourceKindCount = 4;
std::string_view SourceKindKey(SourceKind k);  // "iana" | "nmap" | "etc-services" | "curated"

/// What an IANA row says of its ports.
enum class EntryStatus : uint8_t { kAssigned = 0, kReserved = 1, kUnassigned = 2 };
std::string_view EntryStatusKey(EntryStatus s);

enum class NoteKind : uint8_t { kUnofficial = 0, kSecurity = 1 };

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_TYPES_H_
