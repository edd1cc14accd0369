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
