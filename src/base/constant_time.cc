#include "base/constant_time.h"

#include <cstddef>
#include <cstdint>

namespace portscope {

bool ConstantTimeEquals(std::string_view given, std::string_view secret) {
  // Fold the length difference in, then compare byte by byte over the
  // secret's length, reading `given` cyclically so no branch depends on it.
  // volatile keeps the compiler from turning the loop into an early exit.
  volatile uint8_t diff = given.size() == secret.size() ? 0 : 1;
  const size_t n = given.size();
  for (size_t i = 0; i < secret.size(); ++i) {
    const uint8_t g = n == 0 ? 0 : static_cast<uint8_t>(given[i % n]);
    diff = diff | static_cast<uint8_t>(g ^ static_cast<uint8_t>(secret[i]));
  }
  return diff == 0;
}

}  // namespace portscope
