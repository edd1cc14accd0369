#include "registry/layer.h"

#include <algorithm>
#include <tuple>

namespace portscope::registry {

OwnedLayer::OwnedLayer() { pool_.push_back('\0'); }

StrRef OwnedLayer::Intern(std::string_view s) {
  if (s.empty()) return 0;
  std::string key(s);
  auto it = interned_.find(key);
  if (it != interned_.end()) return it->second;
  StrRef ref = static_cast<StrRef>(pool_.size());
  pool_.append(s);
  pool_.push_back('\0');
  interned_.emplace(std::move(key), ref);
  return ref;
}

void OwnedLayer::AddService(ServiceRecord r) {
  (r.port_lo == r.port_hi ? services_ : ranges_).push_back(r);
}
void OwnedLayer::AddFrequency(FrequencyRecord r) { frequencies_.push_back(r); }
void OwnedLayer::AddNote(NoteRecord r) { notes_.push_back(r); }

void OwnedLayer::SetMeta(SourceKind kind, std::string_view name, std::string_view version,
                         std::string_view date, std::string_view origin) {
  kind_ = kind;
  name_ = Intern(name);
  version_ = Intern(version);
  date_ = Intern(date);
  origin_ = Intern(origin);
}

void OwnedLayer::Finish() {
  // Stable sorts keep the source's own order among rows of one port, so the
  // first-listed service of a port stays first.
  auto by_port = [](const ServiceRecord& a, const ServiceRecord& b) {
    return std::tie(a.port_lo, a.port_hi) < std::tie(b.port_lo, b.port_hi);
  };
  std::stable_sort(services_.begin(), services_.end(), by_port);
  std::stable_sort(ranges_.begin(), ranges_.end(), by_port);
  std::stable_sort(notes_.begin(), notes_.end(),
                   [](const NoteRecord& a, const NoteRecord& b) { return a.port_lo < b.port_lo; });
  std::stable_sort(frequencies_.begin(), frequencies_.end(),
                   [](const FrequencyRecord& a, const FrequencyRecord& b) {
                     return std::tie(a.proto, a.port) < std::tie(b.proto, b.port);
                   });
  // Competition ranking per protocol: rank = 1 + ports seen open more often.
  for (Proto p : kAllProtos) {
    std::vector<float> freqs;
    for (const auto& f : frequencies_)
      if (f.proto == p && f.open_frequency > 0) freqs.push_back(f.open_frequency);
    std::sort(freqs.begin(), freqs.end(), std::greater<float>());
    ranked_[static_cast<int>(p)] = static_cast<uint32_t>(freqs.size());
    for (auto& f : frequencies_) {
      if (f.proto != p) continue;
      if (f.open_frequency <= 0) {
        f.rank = 0;
        continue;
      }
      auto first = std::lower_bound(freqs.begin(), freqs.end(), f.open_frequency,
                                    std::greater<float>());
      f.rank = static_cast<uint32_t>(first - freqs.begin()) + 1;
    }
  }
}

LayerView OwnedLayer::view() const {
  LayerView v;
  v.kind = kind_;
  v.pool = std::string_view(pool_.data(), pool_.size());
  v.name = v.Str(name_);
  v.version = v.Str(version_);
  v.date = v.Str(date_);
  v.origin = v.Str(origin_);
  v.services = services_;
  v.ranges = ranges_;
  v.frequencies = frequencies_;
  v.notes = notes_;
  std::copy(std::begin(ranked_), std::end(ranked_), std::begin(v.ranked));
  return v;
}

}  // namespace portscope::registry
