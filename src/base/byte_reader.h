// ByteReader: bounds-checked reads from a byte span.
//
// Every read checks the remaining length first (masscan VERIFY_REMAINING,
// leveldb GetVarint32Ptr(p, limit)); a failed read leaves the reader in a
// failed state and returns false, so a decoder can do several reads and test
// once. Multi-byte integers are read explicitly in the byte order named by the
// method; no struct is ever overlaid on the bytes.
#ifndef PORTSCOPE_BASE_BYTE_READER_H_
#define PORTSCOPE_BASE_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace portscope {

/// N bytes known to be held (ByteReader::Fixed), read at offsets known when
/// compiled, big-endian (network order). A plain pointer, so that it stays in
/// a register: returning a span through std::optional made GCC copy it
/// through the stack, and the store-forwarding stalls halved decoding speed.
template <size_t N>
class FixedBytes {
 public:
  FixedBytes() = default;
  explicit FixedBytes(const uint8_t* p) : p_(p) {}

  template <size_t kOffset>
  uint8_t U8() const {
    static_assert(kOffset + 1 <= N, "field past the header");
    return p_[kOffset];
  }
  template <size_t kOffset>
  uint16_t U16Be() const {
    static_assert(kOffset + 2 <= N, "field past the header");
    return static_cast<uint16_t>(p_[kOffset] << 8 | p_[kOffset + 1]);
  }
  template <size_t kOffset>
  uint32_t U32Be() const {
    static_assert(kOffset + 4 <= N, "field past the header");
    return uint32_t{p_[kOffset]} << 24 | uint32_t{p_[kOffset + 1]} << 16 | uint32_t{p_[kOffset + 2]} << 8 |
           uint32_t{p_[kOffset + 3]};
  }
  /// The kLen bytes at kOffset.
  template <size_t kOffset, size_t kLen>
  const uint8_t* At() const {
    static_assert(kOffset + kLen <= N, "field past the header");
    return p_ + kOffset;
  }

 private:
  const uint8_t* p_ = nullptr;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining() const { return failed_ ? 0 : bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  bool failed() const { return failed_; }

  bool Skip(size_t n) {
    if (!Need(n)) return false;
    pos_ += n;
    return true;
  }
  bool U8(uint8_t* out) {
    if (!Need(1)) return false;
    *out = bytes_[pos_++];
    return true;
  }
  bool U16Be(uint16_t* out) { return Int(out, 2, true); }
  bool U32Be(uint32_t* out) { return Int(out, 4, true); }
  bool U16Le(uint16_t* out) { return Int(out, 2, false); }
  bool U32Le(uint32_t* out) { return Int(out, 4, false); }
  bool U64Le(uint64_t* out) { return Int(out, 8, false); }
  /// Takes the next n bytes as a sub-span without copying.
  bool Bytes(size_t n, std::span<const uint8_t>* out) {
    if (!Need(n)) return false;
    *out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  /// Takes the next N bytes (a fixed-size header) with one length check; its
  /// fields are then read through FixedBytes, whose offsets are checked
  /// against N when compiled.
  template <size_t N>
  bool Fixed(FixedBytes<N>* out) {
    if (!Need(N)) return false;
    *out = FixedBytes<N>(bytes_.data() + pos_);
    pos_ += N;
    return true;
  }

 private:
  bool Need(size_t n) {
    if (failed_ || bytes_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }
  template <typename T>
  bool Int(T* out, size_t n, bool big_endian) {
    if (!Need(n)) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t b = bytes_[pos_ + i];
      v |= big_endian ? b << (8 * (n - 1 - i)) : b << (8 * i);
    }
    pos_ += n;
    *out = static_cast<T>(v);
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace portscope

#endif  // PORTSCOPE_BASE_BYTE_READER_H_
