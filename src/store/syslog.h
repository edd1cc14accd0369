// Syslog sink: RFC 5424 messages over a UNIX datagram socket (such as
// /dev/log) or UDP (RFC 5426), one message per datagram.
//
// Everything from the network is escaped twice: EscapeForTerminal first (no
// control bytes, valid UTF-8), then RFC 5424 section 6.3.3 escaping of `"`,
// `\` and `]` inside SD-PARAM values. Sends never block: a receiver that is
// slow (a full socket queue; Linux's default max_dgram_qlen is 10) or absent
// costs dropped messages, counted, never a stalled writer.
#ifndef PORTSCOPE_STORE_SYSLOG_H_
#define PORTSCOPE_STORE_SYSLOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/event.h"
#include "store/sink.h"

namespace portscope::store {

/// The SD-ID of portscope's structured data. 32473 is the private
/// enterprise number RFC 5612 sets aside for documentation and examples;
/// portscope has none of its own.
inline constexpr std::string_view kSyslogSdId = "portscope@32473";

struct SyslogFormat {
  int facility = 4;  // auth (security messages); local0 is 16
  std::string hostname;  // the HOSTNAME field, "-" when empty
  std::string app_name = "portscope";
  int pid = 0;
  size_t preview_bytes = 128;  // payload bytes in the payload parameter
};

/// RFC 5424 section 6.3.3: `"`, `\` and `]` get a backslash.
std::string EscapeSdParam(std::string_view s);
/// One RFC 5424 message, no trailing newline.
std::string FormatSyslogEvent(const Event& e, const SyslogFormat& f);
std::string FormatSyslogSummary(const Summary& s, const SyslogFormat& f);
std::string FormatSyslogAlert(const AlertRecord& a, const SyslogFormat& f);

struct SyslogOptions {
  /// "unix:PATH" or an absolute PATH (a UNIX datagram socket); "udp:HOST:PORT",
  /// "HOST:PORT" or "[IPV6]:PORT" (port 514 when left out).
  std::string target;
  SyslogFormat format;  // hostname "" means this host's name, pid 0 this process's
};

class SyslogSink : public Sink {
 public:
  /// Fails when the target cannot be parsed, resolved or connected to.
  static Result<std::unique_ptr<SyslogSink>> Open(const SyslogOptions& options);
  ~SyslogSink() override;
  std::string_view name() const override { return "syslog"; }
  /// Sends every event, alert and finished summary. Messages that cannot be
  /// sent are counted in dropped() and reported as an error for the batch.
  Status Write(const Batch& batch) override;
  uint64_t sent() const { return sent_; }
  uint64_t dropped() const { return dropped_; }

 private:
  SyslogSink() = default;
  Status Connect();
  bool Send(const std::string& msg, int* err);

  SyslogOptions options_;
  bool unix_ = false;
  std::string unix_path_;
  std::string host_, port_;
  int fd_ = -1;
  uint64_t sent_ = 0;
  uint64_t dropped_ = 0;
  int64_t last_connect_ms_ = 0;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_SYSLOG_H_
