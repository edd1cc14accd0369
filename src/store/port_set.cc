#include "store/port_set.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace portscope::store {

PortSet::PortSet(const PortSet& o) : list_(o.list_), size_(o.size_) {
  if (o.bits_) {
    bits_ = std::make_unique<uint8_t[]>(kBitmapBytes);
    std::memcpy(bits_.get(), o.bits_.get(), kBitmapBytes);
  }
}

PortSet& PortSet::operator=(const PortSet& o) {
  if (this != &o) {
    PortSet copy(o);
    *this = std::move(copy);
  }
  return *this;
}

void PortSet::ToBitmap() {
  bits_ = std::make_unique<uint8_t[]>(kBitmapBytes);  // zeroed
  for (uint16_t p : list_) bits_[p >> 3] = static_cast<uint8_t>(bits_[p >> 3] | (0x80 >> (p & 7)));
  list_.clear();
  list_.shrink_to_fit();
}

bool PortSet::Insert(uint16_t port) {
  if (bits_) {
    uint8_t bit = static_cast<uint8_t>(0x80 >> (port & 7));
    if (bits_[port >> 3] & bit) return false;
    bits_[port >> 3] = static_cast<uint8_t>(bits_[port >> 3] | bit);
    ++size_;
    return true;
  }
  auto it = std::lower_bound(list_.begin(), list_.end(), port);
  if (it != list_.end() && *it == port) return false;
  list_.insert(it, port);
  ++size_;
  if (list_.size() > kListMax) ToBitmap();
  return true;
}

bool PortSet::Contains(uint16_t port) const {
  if (bits_) return (bits_[port >> 3] & (0x80 >> (port & 7))) != 0;
  return std::binary_search(list_.begin(), list_.end(), port);
}

void PortSet::Merge(const PortSet& other) {
  if (other.bits_) {
    if (!bits_) ToBitmap();
    size_t n = 0;
    for (size_t i = 0; i < kBitmapBytes; ++i) {
      bits_[i] = static_cast<uint8_t>(bits_[i] | other.bits_[i]);
      n += static_cast<size_t>(std::popcount(bits_[i]));
    }
    size_ = n;
    return;
  }
  for (uint16_t p : other.list_) Insert(p);
}

std::vector<uint16_t> PortSet::ToVector() const {
  if (!bits_) return list_;
  std::vector<uint16_t> out;
  out.reserve(size_);
  for (uint32_t p = 0; p < 65536; ++p)
    if (bits_[p >> 3] & (0x80 >> (p & 7))) out.push_back(static_cast<uint16_t>(p));
  return out;
}

std::string PortSet::Encode() const {
  if (size_ > kEncodedListMax) {
    if (bits_) return std::string(reinterpret_cast<const char*>(bits_.get()), kBitmapBytes);
    PortSet copy(*this);
    copy.ToBitmap();
    return copy.Encode();
  }
  std::string out;
  out.reserve(size_ * 2);
  for (uint16_t p : ToVector()) {
    out.push_back(static_cast<char>(p >> 8));
    out.push_back(static_cast<char>(p & 0xff));
  }
  return out;
}

bool PortSet::Decode(std::string_view blob, PortSet* out) {
  *out = PortSet();
  if (blob.size() == kBitmapBytes) {
    out->bits_ = std::make_unique<uint8_t[]>(kBitmapBytes);
    std::memcpy(out->bits_.get(), blob.data(), kBitmapBytes);
    size_t n = 0;
    for (size_t i = 0; i < kBitmapBytes; ++i) n += static_cast<size_t>(std::popcount(out->bits_[i]));
    out->size_ = n;
    return true;
  }
  bool ok = blob.size() % 2 == 0 && blob.size() < kBitmapBytes;
  int prev = -1;
  for (size_t i = 0; i + 1 < blob.size() && i < kBitmapBytes; i += 2) {
    uint16_t p = static_cast<uint16_t>((static_cast<uint8_t>(blob[i]) << 8) | static_cast<uint8_t>(blob[i + 1]));
    if (static_cast<int>(p) <= prev) ok = false;
    prev = p;
    out->Insert(p);
  }
  return ok;
}

bool PortSet::EncodedContains(std::string_view blob, uint16_t port) {
  if (blob.size() == kBitmapBytes) return (static_cast<uint8_t>(blob[port >> 3]) & (0x80 >> (port & 7))) != 0;
  // Binary search over the big-endian list; a damaged (unsorted) list may
  // give a wrong answer but never reads out of bounds.
  size_t lo = 0, hi = blob.size() / 2;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(blob[2 * mid]) << 8) |
                                       static_cast<uint8_t>(blob[2 * mid + 1]));
    if (v == port) return true;
    if (v < port) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

}  // namespace portscope::store
