// The on-disk form of a layer, written by `portscope db import` and read at
// start-up: a fixed header, the string pool, then the records, little-endian,
// with a checksum over everything after the header. Reading it decodes and
// checks every field (a damaged or foreign file is refused, never trusted),
// which costs far less than re-parsing the source text.
#ifndef PORTSCOPE_REGISTRY_LAYER_FILE_H_
#define PORTSCOPE_REGISTRY_LAYER_FILE_H_

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "registry/layer.h"

namespace portscope::registry {

class LayerFileCodec {
 public:
  static std::string Encode(const OwnedLayer& layer);
  static Result<OwnedLayer> Decode(std::span<const uint8_t> bytes);
};

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_LAYER_FILE_H_
