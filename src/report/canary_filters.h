// The filters over the canary's store that `portscope events|alerts|report`
// take as flags and /api/events, /api/alerts and /api/report take as query
// parameters: one parser, so both accept the same forms and say the same
// things about bad ones.
#ifndef PORTSCOPE_REPORT_CANARY_FILTERS_H_
#define PORTSCOPE_REPORT_CANARY_FILTERS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/query.h"

namespace portscope::report {

/// The filters as typed. Empty fields filter nothing.
struct FilterText {
  std::string since;      // "10m", "2h", "1d", or an ISO time
  std::string until;
  std::string source;     // an address or a CIDR block
  std::string port;
  std::string kind;       // events: the action; alerts: the scan type
  std::string transport;  // events only: tcp, udp, icmp
};

/// How a filter is named in messages: "--" for flags, "" for query parameters.
struct FilterNaming {
  std::string_view prefix;
};

/// kInvalidArgument naming the filter ("--since: bad time ...") for bad input.
Result<store::EventQuery> ParseEventFilters(const FilterText& f, uint64_t now_us, FilterNaming naming);
Result<store::AlertQuery> ParseAlertFilters(const FilterText& f, uint64_t now_us, FilterNaming naming);
/// The start of a report window ending now: in the past.
Result<uint64_t> ParseReportSince(std::string_view text, uint64_t now_us, FilterNaming naming);

}  // namespace portscope::report

#endif  // PORTSCOPE_REPORT_CANARY_FILTERS_H_
