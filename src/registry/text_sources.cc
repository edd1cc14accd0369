// Parsers for the line-oriented sources: services(5) files, nmap-services and
// the project's curated TSV files.
#include <charconv>
#include <cmath>
#include <string>

#include "base/text.h"
#include "registry/sources.h"

namespace portscope::registry {
namespace {

// Calls fn(line_number, line) for each line without its newline.
template <typename Fn>
Status ForEachLine(std::string_view content, Fn fn) {
  size_t pos = 0, number = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    ++number;
    Status s = fn(number, line);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status LineError(size_t number, const std::string& why) {
  return Status::InvalidArgument("line " + std::to_string(number) + ": " + why);
}

// "80/tcp", "6000-6063/tcp/udp" -> ports and protocol mask.
bool ParsePortProtos(std::string_view s, uint16_t* lo, uint16_t* hi, ProtoMask* mask) {
  auto parts = Split(s, '/');
  if (parts.size() < 2) return false;
  auto dash = parts[0].find('-');
  auto a = ParseUint(parts[0].substr(0, dash), 65535);
  if (!a) return false;
  *lo = *hi = static_cast<uint16_t>(*a);
  if (dash != std::string_view::npos) {
    auto b = ParseUint(parts[0].substr(dash + 1), 65535);
    if (!b || *b < *a) return false;
    *hi = static_cast<uint16_t>(*b);
  }
  *mask = 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto p = ParseProto(parts[i]);
    if (!p) return false;
    *mask |= MaskOf(*p);
  }
  return true;
}

// Splits "data # comment" into its two halves, both trimmed.
void SplitComment(std::string_view line, std::string_view* data, std::string_view* comment) {
  size_t hash = line.find('#');
  *data = Trim(line.substr(0, hash));
  *comment = hash == std::string_view::npos ? std::string_view() : Trim(line.substr(hash + 1));
}

}  // namespace

Result<ParsedLayer> ParseServices(std::string_view content, SourceKind kind,
                                  const SourceInfo& info) {
  ParsedLayer out;
  OwnedLayer& layer = out.layer;
  Status s = ForEachLine(content, [&](size_t number, std::string_view line) -> Status {
    std::string_view data, comment;
    SplitComment(line, &data, &comment);
    if (data.empty()) return Status::Ok();
    auto fields = SplitWhitespace(data);
    ServiceRecord r{};
    if (fields.size() < 2 || !ParsePortProtos(fields[1], &r.port_lo, &r.port_hi, &r.protos)) {
      if (!info.strict) {
        ++out.skipped;
        return Status::Ok();
      }
      return LineError(number, "expected \"name port/proto [aliases] [# comment]\"");
    }
    std::string aliases;
    for (size_t i = 2; i < fields.size(); ++i) {
      if (!aliases.empty()) aliases.push_back(' ');
      aliases.append(fields[i]);
    }
    r.status = EntryStatus::kAssigned;
    r.name = layer.Intern(fields[0]);
    r.description = layer.Intern(comment);
    r.aliases = layer.Intern(aliases);
    layer.AddService(r);
    ++out.rows;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (out.rows == 0) return Status::InvalidArgument("no service rows found");
  layer.SetMeta(kind, info.name, info.version, "", info.origin);
  layer.Finish();
  return out;
}

Result<ParsedLayer> ParseNmapServices(std::string_view content, const SourceInfo& info) {
  ParsedLayer out;
  OwnedLayer& layer = out.layer;
  std::string revision, date;
  Status s = ForEachLine(content, [&](size_t number, std::string_view line) -> Status {
    std::string_view data, comment;
    SplitComment(line, &data, &comment);
    if (data.empty()) {
      // "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $"
      auto id = line.find("$Id: nmap-services ");
      if (id != std::string_view::npos) {
        auto parts = SplitWhitespace(line.substr(id));
        if (parts.size() >= 4) {
          revision = std::string(parts[2]);
          date = std::string(parts[3]);
        }
      }
      return Status::Ok();
    }
    auto fields = SplitWhitespace(data);
    FrequencyRecord r{};
    uint16_t lo, hi;
    ProtoMask mask;
    float freq = -1;
    bool ok = fields.size() == 3 && ParsePortProtos(fields[1], &lo, &hi, &mask) && lo == hi &&
              (mask & (mask - 1)) == 0;
    if (ok) {
      auto [ptr, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), freq);
      ok = ec == std::errc() && ptr == fields[2].data() + fields[2].size() &&
           std::isfinite(freq) && freq >= 0 && freq <= 1;
    }
    if (!ok) {
      if (!info.strict) {
        ++out.skipped;
        return Status::Ok();
      }
      return LineError(number, "expected \"name port/proto frequency [# comment]\"");
    }
    r.port = lo;
    for (Proto p : kAllProtos)
      if (mask == MaskOf(p)) r.proto = p;
    r.open_frequency = freq;
    r.name = layer.Intern(fields[0] == "unknown" ? std::string_view() : fields[0]);
    r.comment = layer.Intern(comment);
    layer.AddFrequency(r);
    ++out.rows;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (out.rows == 0) return Status::InvalidArgument("no nmap-services rows found");
  std::string version = info.version;
  if (!revision.empty()) version += (version.empty() ? "" : ", ") + std::string("r") + revision;
  layer.SetMeta(SourceKind::kNmap, info.name.empty() ? "nmap-services" : info.name, version, date,
                info.origin);
  layer.Finish();
  return out;
}

Status AddCuratedNotes(std::string_view content, NoteKind kind, OwnedLayer* layer,
                       std::string* version) {
  return ForEachLine(content, [&](size_t number, std::string_view line) -> Status {
    if (line.starts_with("# version:")) {
      *version = std::string(Trim(line.substr(10)));
      return Status::Ok();
    }
    if (Trim(line).empty() || line[0] == '#') return Status::Ok();
    auto fields = Split(line, '\t');
    if (fields.size() != 4) return LineError(number, "expected 4 tab-separated fields");
    NoteRecord r{};
    std::string port_proto = std::string(fields[0]) + "/" + std::string(fields[1]);
    if (!ParsePortProtos(port_proto, &r.port_lo, &r.port_hi, &r.protos))
      return LineError(number, "bad port or protocol");
    if (Trim(fields[2]).empty() || Trim(fields[3]).empty())
      return LineError(number, "every fact needs its text and its source");
    r.kind = kind;
    r.text = layer->Intern(Trim(fields[2]));
    r.source = layer->Intern(Trim(fields[3]));
    layer->AddNote(r);
    return Status::Ok();
  });
}

}  // namespace portscope::registry
