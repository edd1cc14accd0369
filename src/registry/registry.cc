#include "registry/registry.h"

#include <algorithm>
#include <bitset>
#include <map>
#include <tuple>

#include "base/text.h"
#include "registry/builtin.h"

namespace portscope::registry {

std::string_view IanaStatusKey(IanaStatus s) {
  switch (s) {
    case IanaStatus::kAssigned: return "assigned";
    case IanaStatus::kReserved: return "reserved";
    case IanaStatus::kUnassigned: return "unassigned";
    case IanaStatus::kUnknown: return "unknown";
  }
  return "?";
}

bool ServiceFact::historic() const {
  for (std::string_view s : {description, notes})
    if (ContainsIgnoreCase(s, "historic") || ContainsIgnoreCase(s, "de-assigned") ||
        ContainsIgnoreCase(s, "de-registered") || ContainsIgnoreCase(s, "removed"))
      return true;
  return false;
}

std::vector<const LayerView*> PortFacts::sources() const {
  std::vector<const LayerView*> out;
  auto add = [&](const LayerView* l) {
    if (l && std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  };
  add(iana_source);
  for (const auto& s : etc_services) add(s.source);
  if (frequency) add(frequency->source);
  for (const auto& n : unofficial) add(n.source);
  for (const auto& n : security) add(n.source);
  return out;
}

std::string_view PortFacts::best_name() const {
  for (const auto& s : iana)
    if (s.status == EntryStatus::kAssigned && !s.name.empty()) return s.name;
  // Not nmap's name: nmap keeps names IANA has withdrawn (port 2 is still
  // "compressnet" there), and a card headed by one would contradict IANA.
  for (const auto& s : etc_services)
    if (!s.name.empty()) return s.name;
  return {};
}

Registry::Registry(std::span<const LayerView> overrides) {
  const LayerView* by_kind[kSourceKindCount] = {};
  for (const LayerView& l : BuiltinLayers()) by_kind[static_cast<int>(l.kind)] = &l;
  for (const LayerView& l : overrides) by_kind[static_cast<int>(l.kind)] = &l;
  for (const LayerView* l : by_kind)
    if (l) active_.push_back(l);
}

const LayerView* Registry::layer(SourceKind kind) const {
  for (const LayerView* l : active_)
    if (l->kind == kind) return l;
  return nullptr;
}

static ServiceFact MakeFact(const LayerView& l, const ServiceRecord& r) {
  return ServiceFact{&l,
                     r.status,
                     r.port_lo,
                     r.port_hi,
                     r.protos,
                     l.Str(r.name),
                     l.Str(r.description),
                     l.Str(r.assignee),
                     l.Str(r.contact),
                     l.Str(r.registered),
                     l.Str(r.modified),
                     l.Str(r.reference),
                     l.Str(r.unauthorized),
                     l.Str(r.notes),
                     l.Str(r.aliases)};
}

void Registry::CollectServices(const LayerView& l, PortRef ref,
                               std::vector<ServiceFact>* out) const {
  const ProtoMask bit = MaskOf(ref.proto);
  auto lo = std::lower_bound(l.services.begin(), l.services.end(), ref.port,
                             [](const ServiceRecord& r, uint16_t p) { return r.port_lo < p; });
  for (auto it = lo; it != l.services.end() && it->port_lo == ref.port; ++it)
    if (it->protos & bit) out->push_back(MakeFact(l, *it));
  // Range rows are few (under a thousand in IANA's file): a scan is cheaper
  // than an interval index and keeps the layer format flat.
  for (const ServiceRecord& r : l.ranges)
    if (r.port_lo <= ref.port && ref.port <= r.port_hi && (r.protos & bit))
      out->push_back(MakeFact(l, r));
}

static const FrequencyRecord* FindFrequency(const LayerView& l, PortRef ref) {
  auto key = std::make_tuple(ref.proto, ref.port);
  auto it = std::lower_bound(l.frequencies.begin(), l.frequencies.end(), key,
                             [](const FrequencyRecord& r, const auto& k) {
                               return std::make_tuple(r.proto, r.port) < k;
                             });
  if (it == l.frequencies.end() || it->proto != ref.proto || it->port != ref.port) return nullptr;
  return &*it;
}

PortFacts Registry::Lookup(PortRef ref) const {
  PortFacts f;
  f.ref = ref;
  f.range = ClassOf(ref.port);
  if (const LayerView* iana = layer(SourceKind::kIana)) {
    f.iana_source = iana;
    CollectServices(*iana, ref, &f.iana);
    bool assigned = false, reserved = false;
    for (const auto& s : f.iana) {
      assigned |= s.status == EntryStatus::kAssigned;
      reserved |= s.status == EntryStatus::kReserved;
      f.unassigned_listed |= s.status == EntryStatus::kUnassigned;
    }
    f.iana_status = assigned   ? IanaStatus::kAssigned
                    : reserved ? IanaStatus::kReserved
                               : IanaStatus::kUnassigned;
    // Rows of another status than the port's own are kept only when they say
    // something (a de-assignment note), so "assigned" never sits beside a
    // bare "Unassigned" from an overlapping range row.
    std::erase_if(f.iana, [&](const ServiceFact& s) {
      return assigned && s.status != EntryStatus::kAssigned && s.notes.empty();
    });
  }
  if (const LayerView* etc = layer(SourceKind::kEtcServices)) CollectServices(*etc, ref, &f.etc_services);
  if (const LayerView* nmap = layer(SourceKind::kNmap)) {
    if (const FrequencyRecord* r = FindFrequency(*nmap, ref))
      f.frequency = FrequencyFact{nmap, r->open_frequency, r->rank,
                                  nmap->ranked[static_cast<int>(ref.proto)], nmap->Str(r->name)};
  }
  if (const LayerView* cur = layer(SourceKind::kCurated)) {
    const ProtoMask bit = MaskOf(ref.proto);
    for (const NoteRecord& n : cur->notes) {
      if (n.port_lo > ref.port) break;  // sorted by port_lo
      if (ref.port > n.port_hi || !(n.protos & bit)) continue;
      NoteFact nf{cur, n.kind, n.port_lo, n.port_hi, cur->Str(n.text), cur->Str(n.source)};
      (n.kind == NoteKind::kSecurity ? f.security : f.unofficial).push_back(nf);
    }
  }
  return f;
}

Registry::Brief Registry::LookupBrief(PortRef ref) const {
  Brief b;
  const LayerView* iana = layer(SourceKind::kIana);
  if (!iana) return b;
  const ProtoMask bit = MaskOf(ref.proto);
  bool reserved = false;
  auto consider = [&](const ServiceRecord& r) {
    if (!(r.protos & bit)) return;
    if (r.status == EntryStatus::kAssigned && b.name.empty()) b.name = iana->Str(r.name);
    reserved |= r.status == EntryStatus::kReserved;
  };
  auto lo = std::lower_bound(iana->services.begin(), iana->services.end(), ref.port,
                             [](const ServiceRecord& r, uint16_t p) { return r.port_lo < p; });
  for (auto it = lo; it != iana->services.end() && it->port_lo == ref.port; ++it) consider(*it);
  for (const ServiceRecord& r : iana->ranges)
    if (r.port_lo <= ref.port && ref.port <= r.port_hi) consider(r);
  b.status = !b.name.empty() ? IanaStatus::kAssigned : reserved ? IanaStatus::kReserved : IanaStatus::kUnassigned;
  return b;
}

std::vector<Proto> Registry::DefaultProtos(uint16_t port) const {
  std::vector<Proto> out = {Proto::kTcp, Proto::kUdp};
  if (const LayerView* iana = layer(SourceKind::kIana)) {
    for (Proto p : {Proto::kSctp, Proto::kDccp}) {
      std::vector<ServiceFact> rows;
      CollectServices(*iana, PortRef{port, p}, &rows);
      for (const auto& r : rows)
        if (r.status == EntryStatus::kAssigned) {
          out.push_back(p);
          break;
        }
    }
  }
  return out;
}

uint32_t Registry::CountAssigned(RangeClass range, Proto proto) const {
  const LayerView* iana = layer(SourceKind::kIana);
  if (!iana) return 0;
  std::bitset<65536> seen;
  auto mark = [&](const ServiceRecord& r) {
    if (r.status != EntryStatus::kAssigned || !(r.protos & MaskOf(proto))) return;
    for (uint32_t p = r.port_lo; p <= r.port_hi; ++p) seen.set(p);
  };
  for (const auto& r : iana->services) mark(r);
  for (const auto& r : iana->ranges) mark(r);
  uint32_t n = 0;
  for (uint32_t p = RangeFirst(range); p <= RangeLast(range); ++p) n += seen.test(p);
  return n;
}

namespace {

// "rfc6335", "RFC 6335" -> "rfc6335"; empty when the query is not an RFC number.
std::string RfcQuery(std::string_view q) {
  std::string s = ToLower(q);
  std::erase(s, ' ');
  if (s.size() < 4 || !s.starts_with("rfc")) return {};
  for (size_t i = 3; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return {};
  return s;
}

// True when `reference` cites the RFC, not a longer number that starts alike.
bool CitesRfc(std::string_view reference, std::string_view rfc) {
  std::string ref = ToLower(reference);
  for (size_t pos = ref.find(rfc); pos != std::string::npos; pos = ref.find(rfc, pos + 1)) {
    size_t end = pos + rfc.size();
    if (end == ref.size() || ref[end] < '0' || ref[end] > '9') return true;
  }
  return false;
}

// `word` is lower case; `text` any case. No allocation: it runs over every
// description for every search.
bool ContainsWord(std::string_view text, std::string_view word) {
  auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  for (size_t pos = 0; pos + word.size() <= text.size(); ++pos) {
    if (!EqualsIgnoreCase(text.substr(pos, word.size()), word)) continue;
    bool start_ok = pos == 0 || !alnum(text[pos - 1]);
    size_t end = pos + word.size();
    bool end_ok = end == text.size() || !alnum(text[end]);
    if (start_ok && end_ok) return true;
  }
  return false;
}

}  // namespace

std::vector<SearchHit> Registry::Search(std::string_view text,
                                        const SearchOptions& options) const {
  const std::string q = ToLower(Trim(text));
  if (q.empty()) return {};
  const std::string rfc = RfcQuery(q);
  const auto number = ParseUint(q, 65535);

  // Best hit per (port, proto, name).
  std::map<std::tuple<uint16_t, Proto, std::string_view>, SearchHit> best;
  auto offer = [&](PortRef ref, uint16_t hi, int score, std::string_view name,
                   std::string_view desc, const LayerView* src) {
    if (options.proto && ref.proto != *options.proto) return;
    auto key = std::make_tuple(ref.port, ref.proto, name);
    auto it = best.find(key);
    if (it == best.end() || score < it->second.score)
      best[key] = SearchHit{ref, hi, score, name, desc, src};
  };
  auto score_service = [&](const LayerView& l, const ServiceRecord& r) -> int {
    std::string_view name = l.Str(r.name), desc = l.Str(r.description);
    if (number && r.port_lo <= *number && *number <= r.port_hi) return 0;
    if (!rfc.empty()) return CitesRfc(l.Str(r.reference), rfc) ? 1 : -1;
    if (r.status != EntryStatus::kAssigned) return -1;
    // Every score below needs the query inside one of these fields: test
    // that first, once per field, and most rows are done.
    std::string_view aliases = l.Str(r.aliases);
    const bool in_name = ContainsIgnoreCase(name, q);
    const bool in_aliases = !aliases.empty() && ContainsIgnoreCase(aliases, q);
    const bool in_desc = ContainsIgnoreCase(desc, q);
    if (!in_name && !in_aliases && !in_desc) return ContainsIgnoreCase(l.Str(r.assignee), q) ? 5 : -1;
    if (in_name && EqualsIgnoreCase(name, q)) return 0;
    if (in_aliases)
      for (auto a : SplitWhitespace(aliases))
        if (EqualsIgnoreCase(a, q)) return 1;
    if (in_name && StartsWithIgnoreCase(name, q)) return 2;
    if (in_name || in_aliases) return 3;
    if (ContainsWord(desc, q)) return 4;
    return 5;
  };
  for (SourceKind kind : {SourceKind::kIana, SourceKind::kEtcServices}) {
    const LayerView* l = layer(kind);
    if (!l) continue;
    for (auto rows : {l->services, l->ranges}) {
      for (const ServiceRecord& r : rows) {
        int score = score_service(*l, r);
        if (score < 0) continue;
        for (Proto p : kAllProtos)
          if (r.protos & MaskOf(p))
            offer(PortRef{r.port_lo, p}, r.port_hi, score, l->Str(r.name), l->Str(r.description),
                  l);
      }
    }
  }
  // nmap's names for services no other source names (e.g. "http-proxy").
  if (const LayerView* nmap = layer(SourceKind::kNmap); nmap && rfc.empty()) {
    for (const FrequencyRecord& r : nmap->frequencies) {
      std::string_view name = nmap->Str(r.name);
      if (name.empty()) continue;
      int score = number                          ? (r.port == *number ? 0 : -1)
                  : !ContainsIgnoreCase(name, q)  ? -1
                  : EqualsIgnoreCase(name, q)     ? 0
                  : StartsWithIgnoreCase(name, q) ? 2
                                                  : 3;
      if (score < 0) continue;
      // Skip when another source already names this port so (keys compare text).
      if (best.count(std::make_tuple(r.port, r.proto, name))) continue;
      offer(PortRef{r.port, r.proto}, r.port, score, name, nmap->Str(r.comment), nmap);
    }
  }

  std::vector<SearchHit> hits;
  hits.reserve(best.size());
  for (auto& [k, h] : best) hits.push_back(h);
  // Equal scores: ports seen open more often first, so "http" puts 80 before
  // obscure namesakes.
  const LayerView* nmap = layer(SourceKind::kNmap);
  auto freq = [&](const SearchHit& h) -> double {
    if (!nmap) return 0;
    const FrequencyRecord* r = FindFrequency(*nmap, h.ref);
    return r ? r->open_frequency : 0;
  };
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < hits.size(); ++i) order.emplace_back(freq(hits[i]), i);
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const SearchHit& x = hits[a.second];
    const SearchHit& y = hits[b.second];
    if (x.score != y.score) return x.score < y.score;
    if (a.first != b.first) return a.first > b.first;
    return std::tie(x.ref.port, x.ref.proto) < std::tie(y.ref.port, y.ref.proto);
  });
  std::vector<SearchHit> out;
  for (const auto& [f, i] : order) {
    if (out.size() >= options.limit) break;
    out.push_back(hits[i]);
  }
  return out;
}

}  // namespace portscope::registry
