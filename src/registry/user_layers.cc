#include "registry/user_layers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "registry/layer_file.h"
#include "registry/sources.h"

namespace portscope::registry {
namespace {

constexpr SourceKind kImportable[] = {SourceKind::kIana, SourceKind::kNmap};
constexpr size_t kMaxLayerFileBytes = 256u << 20;

Result<std::string> ReadWhole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::PosixError(path, errno);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::PosixError(path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxLayerFileBytes) {
      ::close(fd);
      return Status::Corrupt(path + ": larger than any layer file can be");
    }
  }
  ::close(fd);
  return out;
}

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

std::string UserRegistryDir() {
  if (const char* d = std::getenv("PORTSCOPE_DATA_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/portscope";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/portscope";
  return "";
}

std::string UserLayerPath(const std::string& dir, SourceKind kind) {
  return dir + "/" + std::string(SourceKindKey(kind)) + ".layer";
}

UserLayers UserLayers::Load(const std::string& dir) {
  UserLayers out;
  if (dir.empty()) return out;
  for (SourceKind kind : kImportable) {
    std::string path = UserLayerPath(dir, kind);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;  // the common case: nothing imported
    auto bytes = ReadWhole(path);
    if (!bytes.ok()) {
      out.warnings_.push_back(bytes.status().message());
      continue;
    }
    auto layer = LayerFileCodec::Decode(
        {reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()});
    if (!layer.ok() || layer->view().kind != kind) {
      out.warnings_.push_back(path + ": " +
                              (layer.ok() ? "holds the wrong kind of source"
                                          : layer.status().message()) +
                              "; using the built-in data (re-run `portscope db import`)");
      continue;
    }
    out.owned_.push_back(std::move(*layer));
  }
  for (const OwnedLayer& l : out.owned_) out.views_.push_back(l.view());
  return out;
}

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

Result<int> ResetUserLayers(const std::string& dir, std::optional<SourceKind> kind) {
  int removed = 0;
  for (SourceKind k : kImportable) {
    if (kind && *kind != k) continue;
    std::string path = UserLayerPath(dir, k);
    if (::unlink(path.c_str()) == 0) {
      ++removed;
    } else if (errno != ENOENT) {
      return Status::PosixError("remove " + path, errno);
    }
  }
  return removed;
}

}  // namespace portscope::registry
