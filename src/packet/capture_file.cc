// pcap and pcapng files through libpcap: the only file in packet/ that
// includes <pcap.h>. Classic pcap files in the common native form are read
// by pcap_reader.cc instead, with the same results (and no libpcap cost).
//
// libpcap validates record headers (it refuses a record longer than its
// maximum snapshot length, and says "truncated dump file" when a record ends
// early); its message becomes the Status, prefixed with the file name. The
// frame bytes it hands out are copied nowhere: Frame::bytes points into
// libpcap's buffer until the next read.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "packet/capture.h"
#include "packet/libpcap_loader.h"
#include "packet/pcap_reader.h"

namespace portscope::packet {

namespace {

class PcapSource final : public CaptureSource {
 public:
  PcapSource(pcap_t* pcap, std::string name)
      : pcap_(pcap), name_(std::move(name)), link_(static_cast<LinkType>(LoadPcap()->datalink(pcap))) {}
  ~PcapSource() override { LoadPcap()->close(pcap_); }
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  LinkType link_type() const override { return link_; }

  Result<bool> Next(Frame* frame) override {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = LoadPcap()->next_ex(pcap_, &header, &data);
    if (rc == 1) {
      frame->link = link_;
      // Unsigned arithmetic: a hostile pcapng timestamp can put any value in
      // tv_sec, and signed overflow would be undefined.
      frame->time_us = static_cast<uint64_t>(header->ts.tv_sec) * 1000000u +
                       static_cast<uint64_t>(header->ts.tv_usec);
      frame->bytes = std::span<const uint8_t>(data, header->caplen);
      frame->wire_len = header->len;
      return true;
    }
    if (rc == PCAP_ERROR_BREAK) return false;  // end of a savefile
    return Status::Corrupt(name_ + ": " + LoadPcap()->geterr(pcap_));
  }

 private:
  pcap_t* pcap_;
  std::string name_;
  LinkType link_;
};

// Takes ownership of `file` (closed on failure too).
Result<std::unique_ptr<CaptureSource>> OpenStream(FILE* file, const std::string& name) {
  std::string why;
  if (!LoadPcap(&why)) {
    if (file != stdin) std::fclose(file);
    return Status::IoError(why);
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap =
      LoadPcap()->fopen_offline(file, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (pcap == nullptr) {
    if (file != stdin) std::fclose(file);
    return Status::Corrupt(name + ": not a readable pcap or pcapng file: " + errbuf);
  }
  return std::unique_ptr<CaptureSource>(new PcapSource(pcap, name));
}

class PcapWriter final : public CaptureWriter {
 public:
  PcapWriter(pcap_t* dead, pcap_dumper_t* dumper, LinkType link, uint32_t snaplen, std::string path,
             std::string temp_path)
      : dead_(dead),
        dumper_(dumper),
        link_(link),
        snaplen_(snaplen),
        path_(std::move(path)),
        temp_path_(std::move(temp_path)) {}
  ~PcapWriter() override {
    if (dumper_ != nullptr) {
      LoadPcap()->dump_close(dumper_);
      if (!temp_path_.empty()) unlink(temp_path_.c_str());
    }
    LoadPcap()->close(dead_);
  }
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  Status Write(const Frame& frame) override {
    if (dumper_ == nullptr) return Status::InvalidArgument(path_ + ": writer is closed");
    if (frame.link != link_) {
      return Status::InvalidArgument(
          path_ + ": frame of link type " + std::to_string(static_cast<int>(frame.link)) +
          " in a file of link type " + std::to_string(static_cast<int>(link_)));
    }
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(frame.time_us / 1000000u);
    header.ts.tv_usec = static_cast<suseconds_t>(frame.time_us % 1000000u);
    const size_t held = frame.bytes.size();
    header.caplen = static_cast<bpf_u_int32>(held < snaplen_ ? held : snaplen_);
    header.len = static_cast<bpf_u_int32>(frame.wire_len > held ? frame.wire_len : held);
    LoadPcap()->dump(reinterpret_cast<u_char*>(dumper_), &header, frame.bytes.data());
    if (std::ferror(LoadPcap()->dump_file(dumper_))) return Status::PosixError("write " + path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (dumper_ == nullptr) return Status::InvalidArgument(path_ + ": writer is closed");
    const bool flushed = LoadPcap()->dump_flush(dumper_) == 0 && !std::ferror(LoadPcap()->dump_file(dumper_));
    const int flush_errno = errno;
    LoadPcap()->dump_close(dumper_);
    dumper_ = nullptr;
    if (temp_path_.empty()) {
      return flushed ? Status::Ok() : Status::PosixError("write " + path_, flush_errno);
    }
    if (!flushed) {
      unlink(temp_path_.c_str());
      return Status::PosixError("write " + temp_path_, flush_errno);
    }
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      const int err = errno;
      unlink(temp_path_.c_str());
      return Status::PosixError("rename " + temp_path_ + " to " + path_, err);
    }
    return Status::Ok();
  }

 private:
  pcap_t* dead_;
  pcap_dumper_t* dumper_;
  LinkType link_;
  uint32_t snaplen_;
  std::string path_;
  std::string temp_path_;  // empty when writing standard output
};

}  // namespace

std::string LinkTypeDescription(LinkType link) {
  const int dlt = static_cast<int>(link);
  if (!LoadPcap()) return "DLT " + std::to_string(dlt);
  const char* name = LoadPcap()->datalink_val_to_name(dlt);
  if (name == nullptr) return "DLT " + std::to_string(dlt);
  const char* description = LoadPcap()->datalink_val_to_description(dlt);
  return description ? std::string(name) + " (" + description + ")" : std::string(name);
}

Result<std::unique_ptr<CaptureSource>> OpenCaptureFile(const std::string& path) {
  if (path == "-") return OpenStream(stdin, "standard input");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::PosixError("open " + path, errno);
  // A regular file in the classic format is read without libpcap
  // (pcap_reader.h); the header is peeked with pread so that anything else
  // reaches libpcap from the first byte. Pipes and devices always do.
  struct stat st;
  uint8_t header[internal::kPcapFileHeader];
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header)) {
    if (auto format = internal::FastPcapFormat(header);
        format && lseek(fd, sizeof header, SEEK_SET) == static_cast<off_t>(sizeof header)) {
      return internal::NewPcapFileSource(fd, *format, path);
    }
  }
  FILE* file = fdopen(fd, "rb");
  if (file == nullptr) {
    const int err = errno;
    close(fd);
    return Status::PosixError("open " + path, err);
  }
  return OpenStream(file, path);
}

Result<std::unique_ptr<CaptureSource>> OpenCaptureMemory(std::span<const uint8_t> bytes) {
  const std::string name = "capture in memory";
  if (auto format = internal::FastPcapFormat(bytes)) return internal::NewPcapMemorySource(bytes, *format, name);
  return internal::OpenLibpcapMemory(bytes, name);
}

Result<std::unique_ptr<CaptureSource>> internal::OpenLibpcapMemory(std::span<const uint8_t> bytes,
                                                                   const std::string& name) {
  // fmemopen of zero bytes fails on some C libraries; libpcap would say the
  // same as here.
  if (bytes.empty()) return Status::Corrupt(name + ": empty");
  // "r" mode never writes through the pointer.
  FILE* file = fmemopen(const_cast<uint8_t*>(bytes.data()), bytes.size(), "r");
  if (file == nullptr) return Status::PosixError("fmemopen", errno);
  return OpenStream(file, name);
}

Result<std::unique_ptr<CaptureWriter>> OpenPcapWriter(const std::string& path, LinkType link,
                                                      uint32_t snaplen) {
  // libpcap refuses to read records longer than 262144 bytes; a file
  // written with a larger snaplen could not be read back.
  if (snaplen == 0 || snaplen > 262144) {
    return Status::InvalidArgument("snaplen must be 1 to 262144, not " + std::to_string(snaplen));
  }
  std::string why;
  if (!LoadPcap(&why)) return Status::IoError(why);
  pcap_t* dead = LoadPcap()->open_dead(
      static_cast<int>(link), static_cast<int>(snaplen), PCAP_TSTAMP_PRECISION_MICRO);
  if (dead == nullptr) return Status::IoError("pcap_open_dead failed");
  const std::string temp_path = path == "-" ? std::string() : path + ".partial";
  pcap_dumper_t* dumper = LoadPcap()->dump_open(dead, path == "-" ? "-" : temp_path.c_str());
  if (dumper == nullptr) {
    Status status = Status::IoError(path + ": " + LoadPcap()->geterr(dead));
    LoadPcap()->close(dead);
    return status;
  }
  return std::unique_ptr<CaptureWriter>(
      new PcapWriter(dead, dumper, link, snaplen, path, temp_path));
}

}  // namespace portscope::packet
