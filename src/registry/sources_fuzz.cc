// libFuzzer target: hostile bytes through every registry source parser and
// the layer-file decoder (what `db import` and start-up read). A file the
// parser accepts must encode and decode back to the same layer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/layer_file.h"
#include "registry/sources.h"

using namespace portscope::registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SourceInfo strict{"", "", "fuzz", true};
  SourceInfo lenient{"", "", "fuzz", false};
  (void)DetectFormat(text);
  for (const SourceInfo& info : {strict, lenient}) {
    if (auto r = ParseIanaCsv(text, info); r.ok()) {
      std::string bytes = LayerFileCodec::Encode(r->layer);
      auto back = LayerFileCodec::Decode({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
      if (!back.ok() || LayerFileCodec::Encode(*back) != bytes) __builtin_trap();
    }
    (void)ParseServices(text, SourceKind::kEtcServices, info);
    (void)ParseNmapServices(text, info);
  }
  OwnedLayer layer;
  std::string version;
  (void)AddCuratedNotes(text, NoteKind::kUnofficial, &layer, &version);
  (void)LayerFileCodec::Decode({data, size});
  return 0;
}
