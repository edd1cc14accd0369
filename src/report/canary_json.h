// The JSON of what the canary recorded, shared by `portscope events|alerts|
// report --json` and /api/events, /api/alerts, /api/report (docs/json.md):
// events and alerts as ECS objects (store/json_lines.h), the report as its
// own object.
#ifndef PORTSCOPE_REPORT_CANARY_JSON_H_
#define PORTSCOPE_REPORT_CANARY_JSON_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/registry.h"
#include "store/event.h"
#include "store/query.h"

namespace portscope::report {

nlohmann::ordered_json ReportJson(const store::Report& r, const registry::Registry& reg, const std::string& db_path);
/// Arrays of EventToEcs / AlertToEcs objects with the default options.
nlohmann::ordered_json EventsJson(const std::vector<store::Event>& events);
nlohmann::ordered_json AlertsJson(const std::vector<store::AlertRecord>& alerts);

}  // namespace portscope::report

#endif  // PORTSCOPE_REPORT_CANARY_JSON_H_
