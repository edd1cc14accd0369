#include "report/canary_filters.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "base/cidr.h"
#include "base/text.h"
#include "report/time_args.h"

namespace portscope::report {
namespace {

Status Bad(FilterNaming n, std::string_view name, std::string_view message) {
  return Status::InvalidArgument(fmt::format("{}{}: {}", n.prefix, name, message));
}

// The filters events and alerts share, into either query type.
template <typename Query>
Status ParseCommon(const FilterText& f, uint64_t now_us, FilterNaming n, Query* q) {
  if (!f.since.empty()) {
    auto t = ParseTimeArg(f.since, now_us);
    if (!t.ok()) return Bad(n, "since", t.status().message());
    q->since_us = *t;
  }
  if (!f.until.empty()) {
    auto t = ParseTimeArg(f.until, now_us);
    if (!t.ok()) return Bad(n, "until", t.status().message());
    q->until_us = *t;
    if (!f.since.empty() && q->since_us > q->until_us)
      return Bad(n, "until", fmt::format("'{}' is before --since '{}': nothing can match",
                                         EscapeForTerminal(f.until.substr(0, 40)),
                                         EscapeForTerminal(f.since.substr(0, 40))));
  }
  if (!f.source.empty()) {
    q->source = Cidr::Parse(Trim(f.source));
    if (!q->source)
      return Bad(n, "source",
                 fmt::format("'{}' is not an address or a CIDR block (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)",
                             EscapeForTerminal(f.source.substr(0, 60))));
  }
  if (!f.port.empty()) {
    auto p = ParseUint(Trim(f.port), 65535);
    if (!p) return Bad(n, "port", fmt::format("'{}' is not a port number (0-65535)", EscapeForTerminal(f.port.substr(0, 20))));
    q->port = static_cast<uint16_t>(*p);
  }
  return Status::Ok();
}

}  // namespace

Result<store::EventQuery> ParseEventFilters(const FilterText& f, uint64_t now_us, FilterNaming n) {
  store::EventQuery q;
  if (Status st = ParseCommon(f, now_us, n, &q); !st.ok()) return st;
  if (!f.kind.empty()) {
    // A word outside the actions the canary records is a typo, not a
    // filter that happens to match nothing.
    std::string action = ToLower(std::string(Trim(f.kind)));
    if (std::find(std::begin(store::kEventActions), std::end(store::kEventActions), action) ==
        std::end(store::kEventActions))
      return Bad(n, "kind",
                 fmt::format("'{}' is not an action (connect, datagram, syn, fin, null, xmas, ack, maimon, tcp, summary)",
                             EscapeForTerminal(f.kind.substr(0, 40))));
    q.action = std::move(action);
  }
  if (!f.transport.empty()) {
    q.transport = store::ParseTransport(Trim(f.transport));
    if (!q.transport || *q.transport == store::Transport::kMixed) return Bad(n, "transport", "use tcp, udp or icmp");
  }
  return q;
}

Result<store::AlertQuery> ParseAlertFilters(const FilterText& f, uint64_t now_us, FilterNaming n) {
  store::AlertQuery q;
  if (Status st = ParseCommon(f, now_us, n, &q); !st.ok()) return st;
  if (!f.kind.empty()) {
    q.kind = store::ParseScanKind(Trim(f.kind));
    if (!q.kind)
      return Bad(n, "kind", fmt::format("'{}' is not a scan type (syn, connect, fin, null, xmas, ack, maimon, udp, mixed)",
                                        EscapeForTerminal(f.kind.substr(0, 40))));
  }
  return q;
}

Result<uint64_t> ParseReportSince(std::string_view text, uint64_t now_us, FilterNaming n) {
  auto since = ParseTimeArg(text, now_us);
  if (!since.ok()) return Bad(n, "since", since.status().message());
  if (*since >= now_us) return Bad(n, "since", "the time is not in the past");
  return *since;
}

}  // namespace portscope::report
