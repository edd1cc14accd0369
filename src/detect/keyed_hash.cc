#include "detect/keyed_hash.h"

namespace portscope::detect {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): spreads a 64-bit seed into the two
// key words, so that nearby seeds (1, 2, ...) give unrelated keys.
uint64_t SplitMix(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  return Mix64(state);
}

}  // namespace

KeyedHash::KeyedHash(uint64_t seed) {
  uint64_t state = seed;
  k0_ = SplitMix(state);
  k1_ = SplitMix(state);
}

}  // namespace portscope::detect
