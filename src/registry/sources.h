// Parsers for the registry's sources. Each takes the content of a file (never
// a path, so tests feed them strings) and returns a finished layer.
//
// Sources are text files written by other people: every malformed row is
// either a clear error naming its line (strict mode, used by `db import`, so a
// broken download is refused whole) or skipped and counted (lenient mode, used
// at build time on the distribution's files, so one odd line cannot break the
// build).
#ifndef PORTSCOPE_REGISTRY_SOURCES_H_
#define PORTSCOPE_REGISTRY_SOURCES_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "registry/layer.h"

namespace portscope::registry {

struct SourceInfo {
  std::string name;     // shown to users, e.g. "IANA port registry (Wireshark's copy)"
  std::string version;  // e.g. the Debian package version; may be empty
  std::string origin;   // path it was read from
  bool strict = true;
};

struct ParsedLayer {
  OwnedLayer layer;
  size_t rows = 0;     // rows that became records
  size_t skipped = 0;  // malformed rows skipped (lenient mode only)
  size_t portless = 0; // rows that name a service without a port (IANA CSV)
};

enum class SourceFormat { kUnknown, kIanaCsv, kNmapServices, kServices };
/// Recognises a source from its first lines.
SourceFormat DetectFormat(std::string_view content);

/// The IANA "Service Name and Transport Protocol Port Number Registry" CSV.
Result<ParsedLayer> ParseIanaCsv(std::string_view content, const SourceInfo& info);
/// services(5) text: /etc/services (kEtcServices, with aliases) or Wireshark's
/// copy of the IANA registry (kIana; it allows ranges and "tcp/udp").
Result<ParsedLayer> ParseServices(std::string_view content, SourceKind kind,
                                  const SourceInfo& info);
/// nmap-services: name, port/proto, open-frequency, optional comment.
Result<ParsedLayer> ParseNmapServices(std::string_view content, const SourceInfo& info);
/// The project's curated TSV files (data/curated/): port, proto, text, source.
Status AddCuratedNotes(std::string_view content, NoteKind kind, OwnedLayer* layer,
                       std::string* version);

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_SOURCES_H_
