// The user registry: newer sources imported with `portscope db import`, kept
// as layer files in one directory, each overriding the built-in layer of its
// kind. The directory is $PORTSCOPE_DATA_DIR, else $XDG_DATA_HOME/portscope,
// else ~/.local/share/portscope.
#ifndef PORTSCOPE_REGISTRY_USER_LAYERS_H_
#define PORTSCOPE_REGISTRY_USER_LAYERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "registry/layer.h"

namespace portscope::registry {

std::string UserRegistryDir();
std::string UserLayerPath(const std::string& dir, SourceKind kind);

/// Layers found in `dir`. Owns their storage; views() stay valid while it lives.
class UserLayers {
 public:
  /// A missing directory or file is no error. A damaged file is skipped and
  /// named in warnings(), so a bad import never stops portscope from working.
  static UserLayers Load(const std::string& dir);
  std::span<const LayerView> views() const { return views_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<OwnedLayer> owned_;
  std::vector<LayerView> views_;
  std::vector<std::string> warnings_;
};

struct ImportSummary {
  SourceKind kind;
  std::string path;  // the layer file written
  size_t rows = 0;
  std::string name, version, date;
};

/// Parses `content` (an IANA CSV or nmap-services, detected from its first
/// lines) strictly and replaces the user layer of that kind atomically: the
/// new file is written beside the old one, synced, then renamed over it, so a
/// failure at any point leaves the previous layer in place.
Result<ImportSummary> ImportSource(std::string_view content, const std::string& origin,
                                   const std::string& dir);
/// Removes the user layer of `kind`, or all of them. Returns how many went.
Result<int> ResetUserLayers(const std::string& dir, std::optional<SourceKind> kind);

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_USER_LAYERS_H_
