// PortSet: the distinct destination ports of a summary row or an alert, exact
// at any size, with a compact stored form.
//
// Memory: a sorted list while small (2 bytes a port), a 65,536-bit map
// (8 KiB) past kListMax ports, so a source that sweeps every port costs 8 KiB
// and one that knocks on three costs 6 bytes.
//
// Stored form (a BLOB): the ports as big-endian uint16, ascending, when fewer
// than 4,096; else the 8,192-byte bitmap (bit p is byte p/8, bit 7 - p%8).
// The two cannot be confused: a list is always shorter than 8,192 bytes.
#ifndef PORTSCOPE_STORE_PORT_SET_H_
#define PORTSCOPE_STORE_PORT_SET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portscope::store {

class PortSet {
 public:
  static constexpr size_t kListMax = 512;       // in-memory list before the bitmap
  static constexpr size_t kBitmapBytes = 8192;  // stored and in-memory bitmap size
  static constexpr size_t kEncodedListMax = 4095;

  PortSet() = default;
  PortSet(const PortSet& o);
  PortSet& operator=(const PortSet& o);
  PortSet(PortSet&&) noexcept = default;
  PortSet& operator=(PortSet&&) noexcept = default;

  /// Returns true when the port was not in the set yet.
  bool Insert(uint16_t port);
  bool Contains(uint16_t port) const;
  void Merge(const PortSet& other);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Ascending.
  std::vector<uint16_t> ToVector() const;

  std::string Encode() const;
  /// Decodes the stored form. A blob of odd length or an unsorted list is
  /// damaged: decoding keeps what it can read and returns false.
  static bool Decode(std::string_view blob, PortSet* out);
  /// Whether the stored form holds `port`, without decoding it (the SQL
  /// function ps_has_port uses this).
  static bool EncodedContains(std::string_view blob, uint16_t port);

 private:
  void ToBitmap();
  std::vector<uint16_t> list_;      // sorted; used while bits_ is null
  std::unique_ptr<uint8_t[]> bits_;  // kBitmapBytes when set
  size_t size_ = 0;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_PORT_SET_H_
