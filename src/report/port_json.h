// The documented JSON objects for registry facts (docs/json.md), shared by
// the CLI's --json output and the web server's /api, so both speak one
// schema built in one place.
#ifndef PORTSCOPE_REPORT_PORT_JSON_H_
#define PORTSCOPE_REPORT_PORT_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "registry/registry.h"

namespace portscope::report {

/// "IANA port registry, Wireshark's copy (libwireshark-data 4.0.17, 2024-08-28)".
std::string SourceTitle(const registry::LayerView* l);

/// The object for one (port, proto); see docs/json.md.
nlohmann::ordered_json PortJson(const registry::PortFacts& f);
/// {kind, name, version, date} of one source.
nlohmann::ordered_json SourceJson(const registry::LayerView* l);
/// The `match` object search results carry: {name, score, source}.
nlohmann::ordered_json MatchJson(const registry::SearchHit& hit);

/// Serialises without ever throwing: bytes that are not UTF-8 (possible in an
/// imported source) become U+FFFD instead of an exception.
std::string Dump(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace portscope::report

#endif  // PORTSCOPE_REPORT_PORT_JSON_H_
