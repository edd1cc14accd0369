// The bodies a webhook receives: one alert about one scan, or a digest of
// the notifications the rate cap held back, rendered for a generic JSON
// receiver (the alert schema of `portscope alerts --json`, docs/json.md),
// Slack-style incoming webhooks ({"text", "blocks"}) or Teams-style ones (an
// Adaptive Card in a "message" envelope, as Teams workflows take it).
//
// Pure functions: no I/O, no clock. Every string from the record reaches the
// body through the JSON serialiser (never raw), and Slack's mrkdwn control
// characters are escaped.
#ifndef PORTSCOPE_NOTIFY_TEMPLATES_H_
#define PORTSCOPE_NOTIFY_TEMPLATES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "store/event.h"

namespace portscope::notify {

enum class Template : uint8_t { kGeneric, kSlack, kTeams };
std::string_view TemplateName(Template t);  // "generic", "slack", "teams"
std::optional<Template> ParseTemplate(std::string_view name);

/// What the rate cap held back between two digests.
struct Digest {
  std::string sensor;
  uint64_t held = 0;            // notifications not sent one by one
  uint64_t scans_started = 0;   // of which: new scans
  uint64_t scans_ended = 0;     // of which: end-of-scan updates
  uint64_t first_us = 0;        // first and last held alert's time
  uint64_t last_us = 0;
  std::vector<IpAddress> sources;  // distinct, in order held, at most kDigestSources
  uint64_t sources_unlisted = 0;   // held notifications whose source did not fit in `sources`
  bool empty() const { return held == 0; }
};
inline constexpr size_t kDigestSources = 32;

/// One line a person reads: "syn scan (vertical) from 192.0.2.7 on sensor
/// s1: 120 probes to 100 ports on 1 host (started)".
std::string AlertHeadline(const store::AlertRecord& a);
std::string DigestHeadline(const Digest& d);

/// The JSON body to POST.
std::string RenderAlert(Template t, const store::AlertRecord& a);
std::string RenderDigest(Template t, const Digest& d);

}  // namespace portscope::notify

#endif  // PORTSCOPE_NOTIFY_TEMPLATES_H_
