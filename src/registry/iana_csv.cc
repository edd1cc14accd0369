// Parser for the IANA port registry CSV (RFC 4180: quoted fields may hold
// commas, doubled quotes and newlines; IANA's assignment notes do).
#include <algorithm>
#include <string>
#include <vector>

#include "base/text.h"
#include "registry/sources.h"

namespace portscope::registry {
namespace {

constexpr size_t kIanaColumns = 12;
const char* const kIanaHeader[kIanaColumns] = {
    "Service Name", "Port Number",       "Transport Protocol", "Description",
    "Assignee",     "Contact",           "Registration Date",  "Modification Date",
    "Reference",    "Service Code",      "Unauthorized Use Reported", "Assignment Notes"};

// Reads one CSV record starting at *pos. Returns false at end of input.
// Sets *error when a quoted field is not terminated or junk follows a quote.
bool ReadCsvRecord(std::string_view in, size_t* pos, std::vector<std::string>* fields,
                   size_t* line, std::string* error) {
  fields->clear();
  if (*pos >= in.size()) return false;
  std::string field;
  size_t i = *pos;
  const size_t start_line = *line;
  for (;;) {
    if (i < in.size() && in[i] == '"') {
      ++i;
      for (;;) {
        if (i >= in.size()) {
          *error = "line " + std::to_string(start_line) + ": unterminated quoted field";
          return false;
        }
        char c = in[i++];
        if (c == '"') {
          if (i < in.size() && in[i] == '"') {
            field.push_back('"');
            ++i;
            continue;
          }
          break;
        }
        if (c == '\n') ++*line;
        field.push_back(c);
      }
      if (i < in.size() && in[i] != ',' && in[i] != '\n' && in[i] != '\r') {
        *error = "line " + std::to_string(*line) + ": unexpected character after a quoted field";
        return false;
      }
    } else {
      while (i < in.size() && in[i] != ',' && in[i] != '\n' && in[i] != '\r') {
        if (in[i] == '"') {
          *error = "line " + std::to_string(*line) + ": stray quote inside an unquoted field";
          return false;
        }
        field.push_back(in[i++]);
      }
    }
    fields->push_back(std::move(field));
    field.clear();
    if (i < in.size() && in[i] == ',') {
      ++i;
      continue;
    }
    if (i < in.size() && in[i] == '\r') ++i;
    if (i < in.size() && in[i] == '\n') ++i;
    ++*line;
    *pos = i;
    return true;
  }
}

bool ParsePortField(std::string_view s, uint16_t* lo, uint16_t* hi) {
  auto dash = s.find('-');
  auto a = ParseUint(s.substr(0, dash), 65535);
  if (!a) return false;
  *lo = *hi = static_cast<uint16_t>(*a);
  if (dash == std::string_view::npos) return true;
  auto b = ParseUint(s.substr(dash + 1), 65535);
  if (!b || *b < *a) return false;
  *hi = static_cast<uint16_t>(*b);
  return true;
}

// YYYY-MM-DD, or YYYY-MM: IANA's older rows carry only a month.
bool LooksLikeDate(std::string_view s) {
  if ((s.size() != 10 && s.size() != 7) || s[4] != '-' || (s.size() == 10 && s[7] != '-'))
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

EntryStatus StatusOf(std::string_view name, std::string_view description) {
  if (!name.empty()) return EntryStatus::kAssigned;
  if (description.starts_with("Reserved")) return EntryStatus::kReserved;
  // "Unassigned", and rows that say a port was de-registered or removed: the
  // port is free again; the description and notes say how it became so.
  return EntryStatus::kUnassigned;
}

}  // namespace

Result<ParsedLayer> ParseIanaCsv(std::string_view content, const SourceInfo& info) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // UTF-8 BOM
  ParsedLayer out;
  std::vector<std::string> f;
  size_t pos = 0, line = 1;
  std::string error;
  if (!ReadCsvRecord(content, &pos, &f, &line, &error) || f.size() < 4 ||
      f[0] != kIanaHeader[0] || f[1] != kIanaHeader[1] || f[2] != kIanaHeader[2]) {
    return Status::InvalidArgument(
        "not an IANA port registry CSV: the first line must start with "
        "\"Service Name,Port Number,Transport Protocol\"");
  }
  if (f.size() != kIanaColumns) {
    return Status::InvalidArgument("IANA CSV header has " + std::to_string(f.size()) +
                                   " columns, expected " + std::to_string(kIanaColumns));
  }
  std::string newest;
  OwnedLayer& layer = out.layer;
  for (;;) {
    size_t row_line = line;
    if (!ReadCsvRecord(content, &pos, &f, &line, &error)) {
      if (!error.empty()) return Status::InvalidArgument(error);
      break;
    }
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    auto bad = [&](const std::string& why) -> Status {
      return Status::InvalidArgument("line " + std::to_string(row_line) + ": " + why);
    };
    if (f.size() != kIanaColumns) {
      if (!info.strict) {
        ++out.skipped;
        continue;
      }
      return bad("expected " + std::to_string(kIanaColumns) + " fields, found " +
                 std::to_string(f.size()));
    }
    const std::string& port = f[1];
    const std::string& proto = f[2];
    if (port.empty()) {  // a service name registered without a port
      ++out.portless;
      continue;
    }
    ServiceRecord r{};
    ProtoMask mask = kAllProtoMask;  // a row with no protocol covers them all
    if (!proto.empty()) {
      auto p = ParseProto(proto);
      if (!p) {
        if (!info.strict) {
          ++out.skipped;
          continue;
        }
        return bad("unknown transport protocol \"" + EscapeForTerminal(proto) + "\"");
      }
      mask = MaskOf(*p);
    }
    if (!ParsePortField(port, &r.port_lo, &r.port_hi)) {
      if (!info.strict) {
        ++out.skipped;
        continue;
      }
      return bad("bad port number \"" + EscapeForTerminal(port) + "\"");
    }
    for (int d : {6, 7}) {
      if (!f[d].empty() && !LooksLikeDate(f[d])) {
        if (info.strict) return bad("bad date \"" + EscapeForTerminal(f[d]) + "\"");
        f[d].clear();
      }
      if (f[d] > newest) newest = f[d];
    }
    r.protos = mask;
    r.status = StatusOf(f[0], f[3]);
    r.name = layer.Intern(f[0]);
    r.description = layer.Intern(f[3]);
    r.assignee = layer.Intern(f[4]);
    r.contact = layer.Intern(f[5]);
    r.registered = layer.Intern(f[6]);
    r.modified = layer.Intern(f[7]);
    r.reference = layer.Intern(f[8]);
    r.unauthorized = layer.Intern(f[10]);
    r.notes = layer.Intern(f[11]);
    layer.AddService(r);
    ++out.rows;
  }
  if (out.rows == 0) return Status::InvalidArgument("IANA CSV holds no port rows");
  layer.SetMeta(SourceKind::kIana,
                info.name.empty() ? "IANA Service Name and Transport Protocol Port Number Registry"
                                  : info.name,
                info.version.empty() ? (newest.empty() ? "" : "as of " + newest) : info.version,
                newest, info.origin);
  layer.Finish();
  return out;
}

SourceFormat DetectFormat(std::string_view content) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);
  if (content.starts_with("Service Name,Port Number")) return SourceFormat::kIanaCsv;
  // nmap-services rows carry a frequency as their third field; services(5)
  // rows do not. Decide on the first data line.
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    std::string_view line = content.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = (eol == std::string_view::npos) ? content.size() : eol + 1;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto fields = SplitWhitespace(line);
    if (fields.size() >= 3 && fields[1].find('/') != std::string_view::npos &&
        fields[2].find('.') != std::string_view::npos && fields[2][0] >= '0' &&
        fields[2][0] <= '9')
      return SourceFormat::kNmapServices;
    if (fields.size() >= 2 && fields[1].find('/') != std::string_view::npos)
      return SourceFormat::kServices;
    return SourceFormat::kUnknown;
  }
  return SourceFormat::kUnknown;
}

}  // namespace portscope::registry
