// Wall-clock time and its RFC 3339 form, as the sinks and queries need them.
#ifndef PORTSCOPE_STORE_TIME_TEXT_H_
#define PORTSCOPE_STORE_TIME_TEXT_H_

#include <cstdint>
#include <string>

namespace portscope::store {

/// Microseconds since the Unix epoch, from CLOCK_REALTIME.
uint64_t NowUs();
/// "2026-11-22T03:14:16.123456Z" (UTC, always six fraction digits).
std::string FormatRfc3339(uint64_t time_us);

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_TIME_TEXT_H_
