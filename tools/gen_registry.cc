// Build-time generator: reads the registry's sources and writes them out as
// C++ arrays (registry/builtin.h), so the binary carries the whole registry
// and parses nothing at start-up (the approach of ninja's src/inline.sh).
//
// Optional sources that are missing on the build machine are skipped with a
// note: newer Wireshark packages no longer ship their copy of the IANA file,
// and the build must not break on that.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cpp_literal.h"
#include "registry/sources.h"

using namespace portscope;
using namespace portscope::registry;

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string FileDate(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  char buf[16];
  struct tm tm;
  gmtime_r(&st.st_mtime, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

void EmitPool(std::FILE* out, const std::string& name, const std::string& pool) {
  std::fprintf(out, "alignas(8) constexpr char %s[] =\n", name.c_str());
  portscope::tools::EmitCppStringLiteral(out, pool);
  std::fputs(";\n", out);
}

void EmitLayer(std::FILE* out, int index, const LayerView& v) {
  std::string p = "k";
  p += std::to_string(index);
  EmitPool(out, p + "Pool", std::string(v.pool));
  auto emit_services = [&](const char* suffix, std::span<const ServiceRecord> rows) {
    if (rows.empty()) return;
    std::fprintf(out, "constexpr ServiceRecord %s%s[] = {\n", p.c_str(), suffix);
    for (const auto& r : rows)
      std::fprintf(out, "{%u,%u,%u,static_cast<EntryStatus>(%u),0,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u},\n",
                   r.port_lo, r.port_hi, r.protos, static_cast<unsigned>(r.status), r.name,
                   r.description, r.assignee, r.contact, r.registered, r.modified, r.reference,
                   r.unauthorized, r.notes, r.aliases);
    std::fputs("};\n", out);
  };
  emit_services("Services", v.services);
  emit_services("Ranges", v.ranges);
  if (!v.frequencies.empty()) {
    std::fprintf(out, "constexpr FrequencyRecord %sFreq[] = {\n", p.c_str());
    for (const auto& r : v.frequencies)
      std::fprintf(out, "{%u,static_cast<Proto>(%u),0,%.9ef,%u,%u,%u},\n", r.port,
                   static_cast<unsigned>(r.proto), static_cast<double>(r.open_frequency), r.rank,
                   r.name, r.comment);
    std::fputs("};\n", out);
  }
  if (!v.notes.empty()) {
    std::fprintf(out, "constexpr NoteRecord %sNotes[] = {\n", p.c_str());
    for (const auto& r : v.notes)
      std::fprintf(out, "{%u,%u,%u,static_cast<NoteKind>(%u),0,%u,%u},\n", r.port_lo, r.port_hi,
                   r.protos, static_cast<unsigned>(r.kind), r.text, r.source);
    std::fputs("};\n", out);
  }
}

void EmitView(std::FILE* out, int index, const LayerView& v) {
  std::string p = "k";
  p += std::to_string(index);
  auto ref = [&](std::string_view s) {
    return "std::string_view(" + p + "Pool + " + std::to_string(s.data() - v.pool.data()) + ", " +
           std::to_string(s.size()) + ")";
  };
  auto span = [&](bool empty, const char* suffix) {
    return empty ? std::string("{}") : p + suffix;
  };
  std::fprintf(out,
               "  LayerView{static_cast<SourceKind>(%u), %s, %s, %s, %s, %s, %s, %s, %s, "
               "{%u, %u, %u, %u}, std::string_view(%sPool, sizeof(%sPool) - 1)},\n",
               static_cast<unsigned>(v.kind), ref(v.name).c_str(), ref(v.version).c_str(),
               ref(v.date).c_str(), ref(v.origin).c_str(),
               span(v.services.empty(), "Services").c_str(),
               span(v.ranges.empty(), "Ranges").c_str(),
               span(v.frequencies.empty(), "Freq").c_str(),
               span(v.notes.empty(), "Notes").c_str(), v.ranked[0], v.ranked[1], v.ranked[2],
               v.ranked[3], p.c_str(), p.c_str());
}

int Usage() {
  std::fprintf(stderr,
               "usage: gen_registry --out FILE [--iana-csv F] [--wireshark F] "
               "[--nmap F] [--etc-services F] --curated-unofficial F --curated-security F "
               "[--wireshark-version V] [--nmap-version V] [--netbase-version V]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) return Usage();
    args[argv[i] + 2] = argv[i + 1];
  }
  if (argc % 2 == 0 || !args.count("out")) return Usage();
  auto arg = [&](const char* k) { return args.count(k) ? args[k] : std::string(); };

  std::vector<OwnedLayer> layers;
  auto fail = [](const std::string& what, const Status& s) {
    std::fprintf(stderr, "gen_registry: %s: %s\n", what.c_str(), s.message().c_str());
    return 1;
  };
  auto note = [](const std::string& what) {
    std::fprintf(stderr, "gen_registry: note: %s\n", what.c_str());
  };
  std::string content;

  // IANA: the official CSV when the builder supplied one, else Wireshark's copy.
  if (!arg("iana-csv").empty() && ReadFile(arg("iana-csv"), &content)) {
    SourceInfo info{"", "", arg("iana-csv"), false};
    auto r = ParseIanaCsv(content, info);
    if (!r.ok()) return fail(arg("iana-csv"), r.status());
    layers.push_back(std::move(r->layer));
  } else if (!arg("wireshark").empty() && ReadFile(arg("wireshark"), &content)) {
    std::string version = arg("wireshark-version");
    SourceInfo info{"IANA port registry, Wireshark's copy",
                    version.empty() ? "" : "libwireshark-data " + version, arg("wireshark"), false};
    auto r = ParseServices(content, SourceKind::kIana, info);
    if (!r.ok()) return fail(arg("wireshark"), r.status());
    OwnedLayer layer = std::move(r->layer);
    // Re-stamp the metadata with the file's date: the copy carries none inside.
    layer.SetMeta(SourceKind::kIana, info.name, info.version, FileDate(arg("wireshark")),
                  info.origin);
    layers.push_back(std::move(layer));
  } else {
    note("no IANA source found (neither --iana-csv nor Wireshark's services file); "
         "the binary will have no IANA data until `portscope db import`");
  }

  if (!arg("nmap").empty() && ReadFile(arg("nmap"), &content)) {
    std::string version = arg("nmap-version");
    SourceInfo info{"nmap-services", version.empty() ? "" : "nmap " + version, arg("nmap"), false};
    auto r = ParseNmapServices(content, info);
    if (!r.ok()) return fail(arg("nmap"), r.status());
    layers.push_back(std::move(r->layer));
  } else {
    note("nmap-services not found; open frequencies will be missing");
  }

  if (!arg("etc-services").empty() && ReadFile(arg("etc-services"), &content)) {
    std::string version = arg("netbase-version");
    SourceInfo info{"/etc/services", version.empty() ? "" : "netbase " + version,
                    arg("etc-services"), false};
    auto r = ParseServices(content, SourceKind::kEtcServices, info);
    if (!r.ok()) return fail(arg("etc-services"), r.status());
    layers.push_back(std::move(r->layer));
  } else {
    note("/etc/services not found; skipped");
  }

  {
    OwnedLayer curated;
    std::string version;
    for (auto [key, kind] : {std::pair{"curated-unofficial", NoteKind::kUnofficial},
                             std::pair{"curated-security", NoteKind::kSecurity}}) {
      if (!ReadFile(arg(key), &content)) return fail(arg(key), Status::NotFound("cannot read"));
      Status s = AddCuratedNotes(content, kind, &curated, &version);
      if (!s.ok()) return fail(arg(key), s);
    }
    curated.SetMeta(SourceKind::kCurated, "portscope curated facts", version, version,
                    "data/curated/");
    curated.Finish();
    layers.push_back(std::move(curated));
  }

  std::string tmp = arg("out") + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "w");
  if (!out) return fail(tmp, Status::PosixError("open", errno));
  std::fputs("// Generated by tools/gen_registry. Do not edit.\n"
             "#include \"registry/builtin.h\"\n\n"
             "namespace portscope::registry {\nnamespace {\n",
             out);
  std::vector<LayerView> views;
  for (size_t i = 0; i < layers.size(); ++i) {
    views.push_back(layers[i].view());
    EmitLayer(out, static_cast<int>(i), views.back());
  }
  std::fputs("const LayerView kBuiltin[] = {\n", out);
  for (size_t i = 0; i < views.size(); ++i) EmitView(out, static_cast<int>(i), views[i]);
  std::fputs("};\n}  // namespace\n\n"
             "std::span<const LayerView> BuiltinLayers() { return kBuiltin; }\n\n"
             "}  // namespace portscope::registry\n",
             out);
  if (std::fclose(out) != 0 || std::rename(tmp.c_str(), arg("out").c_str()) != 0)
    return fail(arg("out"), Status::PosixError("write", errno));
  for (const auto& v : views)
    std::fprintf(stderr, "gen_registry: %-12s %6zu records  %s %s\n",
                 std::string(SourceKindKey(v.kind)).c_str(), v.record_count(),
                 std::string(v.name).c_str(), std::string(v.version).c_str());
  return 0;
}
