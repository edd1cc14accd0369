#include "store/time_text.h"

#include <fmt/format.h>
#include <time.h>

namespace portscope::store {

uint64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

std::string FormatRfc3339(uint64_t time_us) {
  time_t secs = static_cast<time_t>(time_us / 1000000u);
  tm t;
  gmtime_r(&secs, &t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                     t.tm_hour, t.tm_min, t.tm_sec, time_us % 1000000u);
}

}  // namespace portscope::store
