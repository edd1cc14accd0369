// Bytes as a C++ string literal, for the build-time generators
// (gen_registry.cc, embed_assets.cc).
#ifndef PORTSCOPE_TOOLS_CPP_LITERAL_H_
#define PORTSCOPE_TOOLS_CPP_LITERAL_H_

#include <cstdio>
#include <string_view>

namespace portscope::tools {

/// Writes `bytes` as one string literal ("..." pieces on lines of ~100
/// columns): printable ASCII as itself, the rest as three-digit octal escapes
/// (which cannot swallow a following digit); '?' is escaped against trigraphs.
inline void EmitCppStringLiteral(std::FILE* out, std::string_view bytes) {
  std::fputc('"', out);
  size_t col = 0;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '?') {
      std::fputc(c, out);
      ++col;
    } else {
      std::fprintf(out, "\\%03o", c);
      col += 4;
    }
    if (col >= 100) {
      std::fputs("\"\n\"", out);
      col = 0;
    }
  }
  std::fputc('"', out);
}

}  // namespace portscope::tools

#endif  // PORTSCOPE_TOOLS_CPP_LITERAL_H_
