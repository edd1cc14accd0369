// The port registry: every fact known about a (port, protocol), merged from
// the layers in use, each fact with the layer (source) it came from.
//
// A Registry is built from the built-in layers, optionally overridden per
// source kind by layers the user imported (`portscope db import`). Lookups
// are read-only and thread-safe once constructed. Facts hold string_views into
// the layers, so they live as long as the Registry.
#ifndef PORTSCOPE_REGISTRY_REGISTRY_H_
#define PORTSCOPE_REGISTRY_REGISTRY_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "registry/layer.h"
#include "registry/types.h"

namespace portscope::registry {

/// One registry row as it applies to the port asked about.
struct ServiceFact {
  const LayerView* source;
  EntryStatus status;
  uint16_t port_lo, port_hi;  // the row's ports (a range row covers several)
  ProtoMask protos;
  std::string_view name, description, assignee, contact, registered, modified, reference,
      unauthorized, notes, aliases;
  bool historic() const;  // the row marks itself historic or de-assigned
};

struct FrequencyFact {
  const LayerView* source;
  double open_frequency;
  uint32_t rank;   // 0 when nmap never saw the port open
  uint32_t ranked; // how many ports of this protocol nmap saw open at all
  std::string_view name;
};

struct NoteFact {
  const LayerView* source;
  NoteKind kind;
  uint16_t port_lo, port_hi;
  std::string_view text;
  std::string_view cited;  // the source the curated row cites
};

/// What IANA says of the port as a whole.
enum class IanaStatus { kAssigned, kReserved, kUnassigned, kUnknown };
std::string_view IanaStatusKey(IanaStatus s);

struct PortFacts {
  PortRef ref;
  RangeClass range;
  IanaStatus iana_status = IanaStatus::kUnknown;
  /// True when the IANA source has a row saying Unassigned; false when the
  /// port is simply absent from it (Wireshark's copy lists only assignments).
  bool unassigned_listed = false;
  const LayerView* iana_source = nullptr;  // null when no IANA layer is loaded
  std::vector<ServiceFact> iana;           // assigned and reserved rows, and unassigned statements
  std::vector<ServiceFact> etc_services;   // /etc/services names and aliases
  std::optional<FrequencyFact> frequency;  // nmap
  std::vector<NoteFact> unofficial;
  std::vector<NoteFact> security;

  /// The sources that contributed at least one fact, in a fixed order.
  std::vector<const LayerView*> sources() const;
  /// The best short name: IANA's assigned name, else /etc/services'.
  std::string_view best_name() const;
};

struct SearchHit {
  PortRef ref;
  uint16_t port_hi;    // == ref.port unless the matching row is a range
  int score;           // lower is better
  std::string_view name;
  std::string_view description;
  const LayerView* source;
};

struct SearchOptions {
  std::optional<Proto> proto;
  size_t limit = 20;
};

class Registry {
 public:
  /// The built-in layers with `overrides` replacing those of the same kind.
  /// REQUIRES: each LayerView outlives the Registry.
  explicit Registry(std::span<const LayerView> overrides = {});

  PortFacts Lookup(PortRef ref) const;
  /// Just the IANA status and the first assigned name: no allocation, for
  /// annotating thousands of sockets.
  struct Brief {
    IanaStatus status = IanaStatus::kUnknown;
    std::string_view name;
  };
  Brief LookupBrief(PortRef ref) const;
  /// Protocols worth showing for a port when the user named none: tcp and udp
  /// always, sctp and dccp when a source lists something for them there.
  std::vector<Proto> DefaultProtos(uint16_t port) const;
  std::vector<SearchHit> Search(std::string_view text, const SearchOptions& options) const;

  /// The layers in use, one per kind present, in SourceKind order.
  std::span<const LayerView* const> layers() const { return active_; }
  const LayerView* layer(SourceKind kind) const;
  /// Per range class: ports with at least one assigned service for `proto`.
  uint32_t CountAssigned(RangeClass range, Proto proto) const;

 private:
  void CollectServices(const LayerView& layer, PortRef ref, std::vector<ServiceFact>* out) const;
  std::vector<const LayerView*> active_;
};

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_REGISTRY_H_
