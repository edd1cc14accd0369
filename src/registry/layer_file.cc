#include "registry/layer_file.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <tuple>

#include "base/byte_reader.h"

namespace portscope::registry {
namespace {

constexpr char kMagic[8] = {'P', 'S', 'L', 'A', 'Y', 'E', 'R', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 * 16 + 8;

uint64_t Fnv1a(std::span<const uint8_t> bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

void Put16(std::string* s, uint16_t v) {
  for (int i = 0; i < 2; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
void Put64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

void PutService(std::string* s, const ServiceRecord& r) {
  Put16(s, r.port_lo);
  Put16(s, r.port_hi);
  s->push_back(static_cast<char>(r.protos));
  s->push_back(static_cast<char>(r.status));
  for (StrRef ref : {r.name, r.description, r.assignee, r.contact, r.registered, r.modified,
                     r.reference, r.unauthorized, r.notes, r.aliases})
    Put32(s, ref);
}

}  // namespace

std::string LayerFileCodec::Encode(const OwnedLayer& l) {
  std::string body(l.pool_);
  for (const auto& r : l.services_) PutService(&body, r);
  for (const auto& r : l.ranges_) PutService(&body, r);
  for (const auto& r : l.frequencies_) {
    Put16(&body, r.port);
    body.push_back(static_cast<char>(r.proto));
    Put32(&body, std::bit_cast<uint32_t>(r.open_frequency));
    Put32(&body, r.rank);
    Put32(&body, r.name);
    Put32(&body, r.comment);
  }
  for (const auto& r : l.notes_) {
    Put16(&body, r.port_lo);
    Put16(&body, r.port_hi);
    body.push_back(static_cast<char>(r.protos));
    body.push_back(static_cast<char>(r.kind));
    Put32(&body, r.text);
    Put32(&body, r.source);
  }
  std::string out(kMagic, sizeof kMagic);
  for (uint32_t v : {kFormatVersion, static_cast<uint32_t>(l.kind_), l.name_, l.version_, l.date_,
                     l.origin_, l.ranked_[0], l.ranked_[1], l.ranked_[2], l.ranked_[3],
                     static_cast<uint32_t>(l.pool_.size()),
                     static_cast<uint32_t>(l.services_.size()),
                     static_cast<uint32_t>(l.ranges_.size()),
                     static_cast<uint32_t>(l.frequencies_.size()),
                     static_cast<uint32_t>(l.notes_.size()), 0u})
    Put32(&out, v);
  // The checksum covers the header fields too, so no byte goes unchecked.
  auto as_bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  Put64(&out, Fnv1a(as_bytes(body), Fnv1a(as_bytes(out))));
  return out + body;
}

Result<OwnedLayer> LayerFileCodec::Decode(std::span<const uint8_t> bytes) {
  auto corrupt = [](const char* why) { return Status::Corrupt(std::string("layer file: ") + why); };
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return corrupt("not a portscope layer file");
  ByteReader h(bytes.subspan(sizeof kMagic));
  uint32_t v[16];
  for (uint32_t& x : v) h.U32Le(&x);
  uint64_t checksum = 0;
  h.U64Le(&checksum);
  if (v[0] != kFormatVersion) return corrupt("unsupported format version");
  if (v[1] >= kSourceKindCount) return corrupt("unknown source kind");
  std::span<const uint8_t> body = bytes.subspan(kHeaderSize);
  if (Fnv1a(body, Fnv1a(bytes.first(kHeaderSize - 8))) != checksum)
    return corrupt("checksum mismatch (damaged file)");

  OwnedLayer l;
  l.kind_ = static_cast<SourceKind>(v[1]);
  const uint32_t pool_size = v[10];
  ByteReader r(body);
  std::span<const uint8_t> pool;
  if (pool_size == 0 || !r.Bytes(pool_size, &pool) || pool[0] != 0 || pool.back() != 0)
    return corrupt("bad string pool");
  l.pool_.assign(reinterpret_cast<const char*>(pool.data()), pool.size());
  auto ref_ok = [&](StrRef ref) { return ref < pool_size; };
  for (int i = 2; i <= 5; ++i)
    if (!ref_ok(v[i])) return corrupt("string reference out of range");
  l.name_ = v[2];
  l.version_ = v[3];
  l.date_ = v[4];
  l.origin_ = v[5];
  for (int p = 0; p < kProtoCount; ++p) l.ranked_[p] = v[6 + p];

  auto read_service = [&](ServiceRecord* s) {
    uint8_t protos = 0, status = 0;
    r.U16Le(&s->port_lo);
    r.U16Le(&s->port_hi);
    r.U8(&protos);
    r.U8(&status);
    StrRef* refs[] = {&s->name,     &s->description, &s->assignee,     &s->contact, &s->registered,
                      &s->modified, &s->reference,   &s->unauthorized, &s->notes,   &s->aliases};
    bool ok = true;
    for (StrRef* ref : refs) ok = r.U32Le(ref) && ref_ok(*ref) && ok;
    s->protos = protos;
    s->status = static_cast<EntryStatus>(status);
    return ok && !r.failed() && protos != 0 && protos <= kAllProtoMask &&
           status <= static_cast<uint8_t>(EntryStatus::kUnassigned) && s->port_lo <= s->port_hi;
  };
  auto by_port = [](const ServiceRecord& a, const ServiceRecord& b) {
    return std::tie(a.port_lo, a.port_hi) <= std::tie(b.port_lo, b.port_hi);
  };
  for (uint32_t i = 0; i < v[11]; ++i) {
    ServiceRecord s{};
    if (!read_service(&s) || s.port_lo != s.port_hi) return corrupt("bad service record");
    if (!l.services_.empty() && !by_port(l.services_.back(), s)) return corrupt("records out of order");
    l.services_.push_back(s);
  }
  for (uint32_t i = 0; i < v[12]; ++i) {
    ServiceRecord s{};
    if (!read_service(&s) || s.port_lo == s.port_hi) return corrupt("bad range record");
    l.ranges_.push_back(s);
  }
  for (uint32_t i = 0; i < v[13]; ++i) {
    FrequencyRecord f{};
    uint8_t proto = 0;
    uint32_t bits = 0;
    r.U16Le(&f.port);
    r.U8(&proto);
    r.U32Le(&bits);
    r.U32Le(&f.rank);
    r.U32Le(&f.name);
    r.U32Le(&f.comment);
    f.proto = static_cast<Proto>(proto);
    f.open_frequency = std::bit_cast<float>(bits);
    if (r.failed() || proto >= kProtoCount || !std::isfinite(f.open_frequency) ||
        f.open_frequency < 0 || f.open_frequency > 1 || !ref_ok(f.name) || !ref_ok(f.comment))
      return corrupt("bad frequency record");
    if (!l.frequencies_.empty() && std::tie(l.frequencies_.back().proto, l.frequencies_.back().port) >=
                                       std::tie(f.proto, f.port))
      return corrupt("records out of order");
    l.frequencies_.push_back(f);
  }
  for (uint32_t i = 0; i < v[14]; ++i) {
    NoteRecord n{};
    uint8_t protos = 0, kind = 0;
    r.U16Le(&n.port_lo);
    r.U16Le(&n.port_hi);
    r.U8(&protos);
    r.U8(&kind);
    r.U32Le(&n.text);
    r.U32Le(&n.source);
    n.protos = protos;
    n.kind = static_cast<NoteKind>(kind);
    if (r.failed() || protos == 0 || protos > kAllProtoMask || kind > 1 || n.port_lo > n.port_hi ||
        !ref_ok(n.text) || !ref_ok(n.source))
      return corrupt("bad note record");
    if (!l.notes_.empty() && l.notes_.back().port_lo > n.port_lo) return corrupt("records out of order");
    l.notes_.push_back(n);
  }
  if (r.remaining() != 0) return corrupt("trailing bytes");
  return l;
}

}  // namespace portscope::registry
