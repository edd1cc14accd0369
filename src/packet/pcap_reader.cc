// Classic pcap records walked in place (see pcap_reader.h for what is taken
// and why). The record checks follow libpcap 1.10's sf-pcap.c
// pcap_next_packet() step by step, including its messages.
#include "packet/pcap_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

namespace portscope::packet::internal {

namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4u;
constexpr uint32_t kMagicNano = 0xa1b23c4du;
constexpr size_t kRecordHeader = 16;
// libpcap's MAXIMUM_SNAPLEN, the most it holds of one record for every link
// type taken here (max_snaplen_for_dlt()).
constexpr uint32_t kMaxSnaplen = 262144;
// Read blocks for files: a few hundred frames of typical size per read(2),
// and always room for the largest record.
constexpr size_t kBlock = size_t{1} << 20;
static_assert(kBlock >= kRecordHeader + kMaxSnaplen);

uint32_t Le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts only, like the rest of packet/'s file code
}

std::string Format(const char* fmt, uint64_t a, uint64_t b) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

class PcapSource final : public CaptureSource {
 public:
  // A file (fd >= 0) read in blocks, or `bytes` in memory (fd < 0).
  PcapSource(int fd, std::span<const uint8_t> bytes, const PcapFormat& format, std::string name)
      : fd_(fd), format_(format), name_(std::move(name)) {
    if (fd_ >= 0) {
      buffer_.resize(kBlock);
      data_ = buffer_.data();
    } else {
      data_ = bytes.data();
      end_ = bytes.size();
      pos_ = kPcapFileHeader;
      eof_ = true;
    }
  }
  ~PcapSource() override {
    if (fd_ >= 0) close(fd_);
  }
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  LinkType link_type() const override { return format_.link; }

  Result<bool> Next(Frame* frame) override {
    if (end_ - pos_ < kRecordHeader && !Fill(kRecordHeader)) return ReadError();
    const size_t held = end_ - pos_;
    if (held == 0) return false;
    if (held < kRecordHeader) {
      return Damaged(Format("truncated dump file; tried to read %" PRIu64 " header bytes, only got %" PRIu64,
                            kRecordHeader, held));
    }
    const uint8_t* h = data_ + pos_;
    // struct pcap_sf_pkthdr: signed 32-bit seconds and fraction.
    const int64_t sec = static_cast<int32_t>(Le32(h));
    int64_t frac = static_cast<int32_t>(Le32(h + 4));
    const uint32_t caplen = Le32(h + 8);
    const uint32_t len = Le32(h + 12);
    if (format_.nanoseconds) frac /= 1000;
    if (caplen > kMaxSnaplen) {
      // libpcap words this from the snapshot length as the file states it
      // (only 0 and values past INT_MAX are replaced), not the clamped one.
      return Damaged(caplen > format_.stated_snapshot
                         ? Format("invalid packet capture length %" PRIu64 ", bigger than snaplen of %" PRIu64, caplen,
                                  format_.stated_snapshot)
                         : Format("invalid packet capture length %" PRIu64 ", bigger than maximum of %" PRIu64, caplen,
                                  kMaxSnaplen));
    }
    const uint32_t keep = std::min(caplen, format_.snapshot);
    if (end_ - pos_ < kRecordHeader + keep && !Fill(kRecordHeader + keep)) return ReadError();
    if (end_ - pos_ < kRecordHeader + keep) {
      return Damaged(Format("truncated dump file; tried to read %" PRIu64 " captured bytes, only got %" PRIu64, keep,
                            end_ - pos_ - kRecordHeader));
    }
    frame->link = format_.link;
    frame->time_us = static_cast<uint64_t>(sec) * 1000000u + static_cast<uint64_t>(frac);
    frame->bytes = std::span<const uint8_t>(data_ + pos_ + kRecordHeader, keep);
    frame->wire_len = len;
    pos_ += kRecordHeader + keep;
    if (keep < caplen) {
      // Longer than the file's snapshot length: libpcap hands out the first
      // `snapshot` bytes and discards the rest. The frame stays valid: the
      // skip below moves no held bytes.
      uint64_t discard = caplen - keep;
      const size_t here = static_cast<size_t>(std::min<uint64_t>(discard, end_ - pos_));
      pos_ += here;
      discard -= here;
      while (discard != 0 && fd_ >= 0 && !eof_) {
        const ssize_t n = read(fd_, scratch_, static_cast<size_t>(std::min<uint64_t>(discard, sizeof scratch_)));
        if (n < 0) {
          if (errno == EINTR) continue;
          return ReadError();
        }
        if (n == 0) eof_ = true;
        discard -= static_cast<uint64_t>(n);
      }
      if (discard != 0) {
        return Damaged(Format("truncated dump file; tried to read %" PRIu64 " captured bytes, only got %" PRIu64,
                              caplen, caplen - discard));
      }
    }
    return true;
  }

 private:
  // Makes at least `want` bytes from pos_ contiguous when the input has them;
  // false on a read error (errno_ set).
  bool Fill(size_t want) {
    if (fd_ < 0 || eof_) return true;
    if (pos_ + want > buffer_.size()) {
      std::memmove(buffer_.data(), data_ + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ - pos_ < want && !eof_) {
      const ssize_t n = read(fd_, buffer_.data() + end_, buffer_.size() - end_);
      if (n < 0) {
        if (errno == EINTR) continue;
        errno_ = errno;
        return false;
      }
      if (n == 0) eof_ = true;
      end_ += static_cast<size_t>(n);
    }
    return true;
  }

  Status Damaged(const std::string& what) { return Status::Corrupt(name_ + ": " + what); }
  Status ReadError() {
    return Status::Corrupt(name_ + ": error reading dump file: " + std::strerror(errno_ != 0 ? errno_ : errno));
  }

  int fd_;
  PcapFormat format_;
  std::string name_;
  std::vector<uint8_t> buffer_;
  const uint8_t* data_ = nullptr;
  size_t pos_ = 0;  // next record
  size_t end_ = 0;  // end of the bytes held
  bool eof_ = false;
  int errno_ = 0;
  uint8_t scratch_[4096];
};

}  // namespace

std::optional<PcapFormat> FastPcapFormat(std::span<const uint8_t> header) {
  if (header.size() < kPcapFileHeader) return std::nullopt;
  const uint32_t magic = Le32(header.data());
  if (magic != kMagicMicro && magic != kMagicNano) return std::nullopt;
  uint16_t major, minor;
  std::memcpy(&major, header.data() + 4, 2);
  std::memcpy(&minor, header.data() + 6, 2);
  if (major != 2 || minor != 4) return std::nullopt;
  const uint32_t snaplen = Le32(header.data() + 16);
  const uint32_t linktype = Le32(header.data() + 20);
  // Link types whose LINKTYPE_ value is its DLT_ value (libpcap's
  // linktype_to_dlt() is the identity for them), with no extension bits.
  if (linktype > 0xffff) return std::nullopt;
  switch (static_cast<LinkType>(linktype)) {
    case LinkType::kNull:
    case LinkType::kEthernet:
    case LinkType::kLinuxSll:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
    case LinkType::kLinuxSll2:
      break;
    default:
      return std::nullopt;
  }
  PcapFormat f;
  f.link = static_cast<LinkType>(linktype);
  f.snapshot = snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;  // pcap_adjust_snapshot()
  f.stated_snapshot = snaplen == 0 || snaplen > 0x7fffffffu ? kMaxSnaplen : snaplen;
  f.nanoseconds = magic == kMagicNano;
  return f;
}

std::unique_ptr<CaptureSource> NewPcapMemorySource(std::span<const uint8_t> bytes, const PcapFormat& format,
                                                   std::string name) {
  return std::make_unique<PcapSource>(-1, bytes, format, std::move(name));
}

std::unique_ptr<CaptureSource> NewPcapFileSource(int fd, const PcapFormat& format, std::string name) {
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::make_unique<PcapSource>(fd, std::span<const uint8_t>(), format, std::move(name));
}

}  // namespace portscope::packet::internal
