// Times in the canary filters (the CLI's --since, the web API's ?since=) and in tables.
#ifndef PORTSCOPE_REPORT_TIME_ARGS_H_
#define PORTSCOPE_REPORT_TIME_ARGS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace portscope::report {

/// A point in time as microseconds since the epoch, from either
///  - a span back from `now_us`: a number and a unit, "90s", "10m", "2h",
///    "1d", "1w"; or
///  - an ISO 8601 / RFC 3339 time: "2026-11-22", "2026-11-22T03:14",
///    "2026-11-22 03:14:16", "2026-11-22T03:14:16.5Z",
///    "2026-11-22T03:14:16+01:00". Without an offset it is local time.
/// kInvalidArgument with a message that says what is accepted otherwise.
Result<uint64_t> ParseTimeArg(std::string_view text, uint64_t now_us);

/// "2026-11-22 03:14:16" in local time.
std::string FormatLocalTime(uint64_t time_us);
/// "14s", "3m05s", "2h10m", "3d4h".
std::string FormatDuration(uint64_t us);

}  // namespace portscope::report

#endif  // PORTSCOPE_REPORT_TIME_ARGS_H_
