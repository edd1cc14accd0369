// A layer is everything one source says about ports: its rows, in flat
// arrays of plain records that point into one string pool.
//
// The same layout serves three ways: the build-time generator writes it out as
// C++ arrays compiled into the binary (no parsing at start-up), `db import`
// writes it as a binary file (layer_file.h), and tests build it in memory from
// a source file. LayerView is the read-only view the lookup code uses; it does
// not own its memory. OwnedLayer holds the storage behind a view built at run
// time. Views are immutable and safe to share between threads.
#ifndef PORTSCOPE_REGISTRY_LAYER_H_
#define PORTSCOPE_REGISTRY_LAYER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/types.h"

namespace portscope::registry {

/// Offset of a NUL-terminated string in a layer's pool; 0 is the empty string.
using StrRef = uint32_t;

/// One registry row: a service (or a Reserved/Unassigned statement) on a port
/// or a range of ports, for one or more protocols.
struct ServiceRecord {
  uint16_t port_lo;
  uint16_t port_hi;
  ProtoMask protos;
  EntryStatus status;
  uint16_t reserved_ = 0;
  StrRef name;
  StrRef description;
  StrRef assignee;
  StrRef contact;
  StrRef registered;    // YYYY-MM-DD or ""
  StrRef modified;      // YYYY-MM-DD or ""
  StrRef reference;     // e.g. "[RFC6335]"
  StrRef unauthorized;  // "Unauthorized Use Reported" column
  StrRef notes;         // assignment notes (de-assignments, aliases, historic)
  StrRef aliases;       // space-separated alias names (services(5))
};

/// How often nmap saw a port open, with nmap's name for what runs there.
struct FrequencyRecord {
  uint16_t port;
  Proto proto;
  uint8_t reserved_ = 0;
  float open_frequency;  // fraction of scans in which the port was open
  uint32_t rank;         // 1 = most often open among this protocol's ports; 0 = never seen open
  StrRef name;
  StrRef comment;
};

/// A curated fact: a known unofficial use or a security note.
struct NoteRecord {
  uint16_t port_lo;
  uint16_t port_hi;
  ProtoMask protos;
  NoteKind kind;
  uint16_t reserved_ = 0;
  StrRef text;
  StrRef source;
};

struct LayerView {
  SourceKind kind;
  std::string_view name;     // what the source is
  std::string_view version;  // package or file version
  std::string_view date;     // newest date the source carries, YYYY-MM-DD
  std::string_view origin;   // where it was read from (path), or "built-in"
  std::span<const ServiceRecord> services;  // single ports, sorted by port
  std::span<const ServiceRecord> ranges;    // rows spanning several ports
  std::span<const FrequencyRecord> frequencies;  // sorted by (proto, port)
  std::span<const NoteRecord> notes;             // sorted by port_lo
  uint32_t ranked[kProtoCount] = {};  // per proto: ports with a nonzero frequency
  std::string_view pool;              // ends with NUL; every StrRef < pool.size()

  const char* Str(StrRef r) const { return pool.data() + r; }
  size_t record_count() const {
    return services.size() + ranges.size() + frequencies.size() + notes.size();
  }
};

/// Storage behind a LayerView built at run time (from a source file or a
/// layer file). Moving it keeps views valid only after calling view() again.
class OwnedLayer {
 public:
  OwnedLayer();
  OwnedLayer(OwnedLayer&&) = default;
  OwnedLayer& operator=(OwnedLayer&&) = default;

  StrRef Intern(std::string_view s);
  void AddService(ServiceRecord r);
  void AddFrequency(FrequencyRecord r);
  void AddNote(NoteRecord r);
  void SetMeta(SourceKind kind, std::string_view name, std::string_view version,
               std::string_view date, std::string_view origin);
  /// Sorts the rows, splits ranges from single ports and computes ranks.
  /// REQUIRES: called once, after the last Add*.
  void Finish();

  LayerView view() const;
  const std::string& pool() const { return pool_; }

 private:
  friend class LayerFileCodec;
  SourceKind kind_ = SourceKind::kIana;
  StrRef name_ = 0, version_ = 0, date_ = 0, origin_ = 0;
  std::string pool_;
  std::unordered_map<std::string, StrRef> interned_;
  std::vector<ServiceRecord> services_;
  std::vector<ServiceRecord> ranges_;
  std::vector<FrequencyRecord> frequencies_;
  std::vector<NoteRecord> notes_;
  uint32_t ranked_[kProtoCount] = {};
};

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_LAYER_H_
