// The layers compiled into the binary at build time by tools/gen_registry
// from the sources found on the build machine (see CMakeLists.txt).
#ifndef PORTSCOPE_REGISTRY_BUILTIN_H_
#define PORTSCOPE_REGISTRY_BUILTIN_H_

#include <span>

#include "registry/layer.h"

namespace portscope::registry {

/// Built-in layers, at most one per SourceKind; static storage, never freed.
std::span<const LayerView> BuiltinLayers();

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_BUILTIN_H_
