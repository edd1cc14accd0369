// Comparison of secrets in time that does not depend on where they differ.
#ifndef PORTSCOPE_BASE_CONSTANT_TIME_H_
#define PORTSCOPE_BASE_CONSTANT_TIME_H_

#include <string_view>

namespace portscope {

/// True when `given` equals `secret`. Runs over every byte of `secret`
/// whatever `given` holds, so the time taken reveals neither the position of
/// the first difference nor anything but the secret's own length.
bool ConstantTimeEquals(std::string_view given, std::string_view secret);

}  // namespace portscope

#endif  // PORTSCOPE_BASE_CONSTANT_TIME_H_
