// `portscope db import`: parse a source file strictly and write it as a
// layer file. Apart from user_layers.cc so that loading the layers (every
// lookup) does not link the parsers of every source format.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "registry/layer_file.h"
#include "registry/sources.h"
#include "registry/user_layers.h"

namespace portscope::registry {
namespace {

Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::PosixError("create " + part, errno);
  }
  return Status::Ok();
}

Status WriteAtomically(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::PosixError("create " + tmp, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::PosixError("write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::PosixError("sync " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::PosixError("rename to " + path, err);
  }
  return Status::Ok();
}

}  // namespace

Result<ImportSummary> ImportSource(std::string_view content, const std::string& origin,
                                   const std::string& dir) {
  if (dir.empty())
    return Status::InvalidArgument("no user registry directory: set PORTSCOPE_DATA_DIR or HOME");
  SourceInfo info{"", "", origin, true};
  Result<ParsedLayer> parsed = Status::InvalidArgument("unset");
  switch (DetectFormat(content)) {
    case SourceFormat::kIanaCsv:
      parsed = ParseIanaCsv(content, info);
      break;
    case SourceFormat::kNmapServices:
      info.name = "nmap-services";
      parsed = ParseNmapServices(content, info);
      break;
    case SourceFormat::kServices:
      return Status::InvalidArgument(
          "this looks like a services(5) file; import the IANA CSV "
          "(service-names-port-numbers.csv) or an nmap-services file instead");
    case SourceFormat::kUnknown:
      return Status::InvalidArgument(
          "not an IANA port registry CSV nor an nmap-services file");
  }
  if (!parsed.ok()) return parsed.status();
  if (Status s = MakeDirs(dir); !s.ok()) return s;
  LayerView v = parsed->layer.view();
  ImportSummary summary{v.kind, UserLayerPath(dir, v.kind), parsed->rows, std::string(v.name),
                        std::string(v.version), std::string(v.date)};
  if (Status s = WriteAtomically(summary.path, LayerFileCodec::Encode(parsed->layer)); !s.ok())
    return s;
  return summary;
}

}  // namespace portscope::registry
