// JSON lines in Elastic Common Schema (ECS 8) field names: one object per
// event, summary or alert, for a SIEM to ingest, and the same objects for
// `portscope events --json` and `alerts --json` (docs/json.md).
//
// Payload bytes never appear raw: `portscope.payload.base64` carries them
// exactly and `portscope.payload.preview` an escaped printable prefix
// (EscapeForTerminal), so every string in the output is valid UTF-8.
#ifndef PORTSCOPE_STORE_JSON_LINES_H_
#define PORTSCOPE_STORE_JSON_LINES_H_

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/event.h"
#include "store/sink.h"

namespace portscope::store {

struct EcsOptions {
  std::string hostname;         // observer.hostname; omitted when ""
  size_t preview_bytes = 256;   // payload bytes shown in the preview
  size_t max_ports = 1024;      // summary ports listed (port_count is exact)
};

nlohmann::ordered_json EventToEcs(const Event& e, const EcsOptions& o);
nlohmann::ordered_json AlertToEcs(const AlertRecord& a, const EcsOptions& o);
/// One line, no newline; never throws (invalid UTF-8 in a text field becomes U+FFFD).
std::string DumpLine(const nlohmann::ordered_json& j);

std::string Base64(std::string_view bytes);
/// EscapeForTerminal of the first `max_bytes` bytes, "…"-free (the caller
/// knows from the length whether it was cut).
std::string EscapedPreview(std::string_view bytes, size_t max_bytes);
/// "SYN,ACK" for the TCP flag bits, "" for none.
std::string TcpFlagNames(uint8_t flags);

/// Writes every event, alert and finished summary as one line, flushed after
/// each batch. Summaries are written once, when final (the database has the
/// running counts).
class JsonLinesSink : public Sink {
 public:
  /// "-" is stdout; anything else a file opened for appending (mode 0640).
  static Result<std::unique_ptr<JsonLinesSink>> Open(const std::string& path, const EcsOptions& options);
  ~JsonLinesSink() override;
  std::string_view name() const override { return "json"; }
  Status Write(const Batch& batch) override;
  /// Reopens the file (after logrotate moved it). REQUIRES: the writer's thread or a stopped writer.
  Status Reopen() override;

 private:
  JsonLinesSink(std::string path, FILE* f, const EcsOptions& o) : path_(std::move(path)), file_(f), options_(o) {}
  std::string path_;
  FILE* file_;
  EcsOptions options_;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_JSON_LINES_H_
