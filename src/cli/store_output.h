// Human and JSON renderings of what the canary recorded. Wording and layout
// only; the rows come from store/.
#ifndef PORTSCOPE_CLI_STORE_OUTPUT_H_
#define PORTSCOPE_CLI_STORE_OUTPUT_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "registry/registry.h"
#include "store/event.h"
#include "store/query.h"

namespace portscope::cli {

std::string EventTableHeader(const Style& style);
/// One line; every byte that came from the network is escaped.
std::string EventTableRow(const store::Event& e, const registry::Registry& reg);

std::string AlertTableHeader(const Style& style);
/// One line, plus indented detail lines (tool hint; with `verbose` the
/// algorithms, evidence, ports and hosts).
std::string AlertTableRows(const store::AlertRecord& a, bool verbose, const Style& style);

std::string RenderReport(const store::Report& r, const registry::Registry& reg, const std::string& db_path,
                         const Style& style);

/// `width` columns of unicode block bar for value/max (eighths of a cell).
std::string Bar(uint64_t value, uint64_t max, size_t width);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_STORE_OUTPUT_H_
