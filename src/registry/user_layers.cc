#include "registry/user_layers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "registry/layer_file.h"

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
