// portscope-canary-notify: `portscope canary` with --webhook. The same
// command, in a binary that links the notify library (cpp-httplib, OpenSSL),
// so that portscope itself stays quick to start (canary_command.h).
#include <fmt/format.h>

#include <chrono>

#include "base/text.h"

#include "cli/canary_command.h"
#include "cli/commands.h"
#include "notify/webhook.h"

namespace portscope::cli {
namespace {

Result<WebhookListener> MakeWebhook(const WebhookSettings& s, bool check_only) {
  notify::WebhookOptions o;
  o.url = s.url;
  auto format = notify::ParseTemplate(s.template_name);
  if (!format)
    return Status::InvalidArgument("--webhook-template: '" + EscapeForTerminal(s.template_name) +
                                   "' is not one of generic, slack, teams");
  o.format = *format;
  o.rate_limit = s.rate_per_minute;
  o.rate_window_ms = 60'000;
  o.ca_file = s.ca_file;
  // finish() below already waits for the queue at exit; no second wait.
  o.drain_ms = 0;
  if (Status st = notify::ValidateWebhookOptions(o); !st.ok()) return st;
  WebhookListener w;
  w.description = fmt::format("{} ({}, {})", notify::WebhookUrl::Parse(o.url)->Redacted(), s.template_name,
                              s.rate_per_minute ? fmt::format("at most {}/min", s.rate_per_minute) : "no rate cap");
  if (check_only) return w;
  auto n = notify::WebhookNotifier::Create(o);
  if (!n.ok()) return n.status();
  notify::WebhookNotifier* raw = n->get();
  w.finish = [raw] {
    (void)raw->WaitIdle(std::chrono::seconds(2));
    auto st = raw->stats();
    return fmt::format("--webhook: {} delivered, {} digests, {} held by the rate cap, {} dropped (queue full), "
                       "{} refused, {} failed attempts, {} undelivered{}",
                       st.delivered, st.digests_queued, st.held_by_rate_cap, st.dropped_queue_full, st.rejected,
                       st.failed_attempts, st.queue_depth, st.last_error.empty() ? "" : " (last error: " + st.last_error + ")");
  };
  w.listener = std::move(*n);
  return w;
}

}  // namespace
}  // namespace portscope::cli

int main(int argc, char** argv) {
  portscope::cli::SetWebhookFactory(&portscope::cli::MakeWebhook);
  return portscope::cli::Main(argc, argv);
}
