#include "registry/types.h"

#include "base/text.h"

namespace portscope::registry {

std::string_view ProtoName(Proto p) {
  switch (p) {
    case Proto::kTcp: return "tcp";
    case Proto::kUdp: return "udp";
    case Proto::kSctp: return "sctp";
    case Proto::kDccp: return "dccp";
  }
  return "?";
}

std::optional<Proto> ParseProto(std::string_view name) {
  for (Proto p : kAllProtos)
    if (EqualsIgnoreCase(name, ProtoName(p))) return p;
  return std::nullopt;
}

RangeClass ClassOf(uint16_t port) {
  if (port <= 1023) return RangeClass::kSystem;
  if (port <= 49151) return RangeClass::kUser;
  return RangeClass::kDynamic;
}

std::string_view RangeKey(RangeClass c) {
  switch (c) {
    case RangeClass::kSystem: return "system";
    case RangeClass::kUser: return "user";
    case RangeClass::kDynamic: return "dynamic";
  }
  return "?";
}

std::string_view RangeTitle(RangeClass c) {
  switch (c) {
    case RangeClass::kSystem: return "System Ports (well-known)";
    case RangeClass::kUser: return "User Ports (registered)";
    case RangeClass::kDynamic: return "Dynamic Ports (private, ephemeral)";
  }
  return "?";
}

uint16_t RangeFirst(RangeClass c) {
  switch (c) {
    case RangeClass::kSystem: return 0;
    case RangeClass::kUser: return 1024;
    case RangeClass::kDynamic: return 49152;
  }
  return 0;
}

uint16_t RangeLast(RangeClass c) {
  switch (c) {
    case RangeClass::kSystem: return 1023;
    case RangeClass::kUser: return 49151;
    case RangeClass::kDynamic: return 65535;
  }
  return 0;
}

std::string_view SourceKindKey(SourceKind k) {
  switch (k) {
    case SourceKind::kIana: return "iana";
    case SourceKind::kNmap: return "nmap";
    case SourceKind::kEtcServices: return "etc-services";
    case SourceKind::kCurated: return "curated";
  }
  return "?";
}

std::string_view EntryStatusKey(EntryStatus s) {
  switch (s) {
    case EntryStatus::kAssigned: return "assigned";
    case EntryStatus::kReserved: return "reserved";
    case EntryStatus::kUnassigned: return "unassigned";
  }
  return "?";
}

}  // namespace portscope::registry
