#include "report/time_args.h"

#include <fmt/format.h>
#include <time.h>

#include "base/text.h"

namespace portscope::report {
namespace {

constexpr uint64_t kSecondUs = 1000000;

Status Bad(std::string_view text) {
  return Status::InvalidArgument(fmt::format(
      "bad time '{}': use a span back from now such as 10m, 2h, 1d, 1w, or an ISO time such as "
      "2026-11-22, 2026-11-22T03:14 or 2026-11-22T03:14:16Z",
      EscapeForTerminal(text)));
}

// Reads exactly `n` digits at *pos.
bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

Result<uint64_t> ParseTimeArg(std::string_view text, uint64_t now_us) {
  std::string_view t = Trim(text);
  if (t.empty()) return Bad(text);

  // A span: digits and one unit letter.
  if (t.size() >= 2 && t.find('-') == std::string_view::npos && t.find(':') == std::string_view::npos) {
    char unit = t.back();
    auto n = ParseUint(t.substr(0, t.size() - 1), 1000000000);
    uint64_t per = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : unit == 'w' ? 604800 : 0;
    if (!n || per == 0) return Bad(text);
    uint64_t back = uint64_t{*n} * per * kSecondUs;
    return back >= now_us ? uint64_t{0} : now_us - back;
  }

  size_t pos = 0;
  tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(t, &pos, 4, &year) || !Expect(t, &pos, '-') || !Digits(t, &pos, 2, &month) || !Expect(t, &pos, '-') ||
      !Digits(t, &pos, 2, &day))
    return Bad(text);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return Bad(text);
  uint64_t fraction_us = 0;
  bool utc = false;
  int offset_s = 0;
  if (pos < t.size()) {
    if (t[pos] != 'T' && t[pos] != 't' && t[pos] != ' ') return Bad(text);
    ++pos;
    if (!Digits(t, &pos, 2, &hour) || !Expect(t, &pos, ':') || !Digits(t, &pos, 2, &minute)) return Bad(text);
    if (pos < t.size() && t[pos] == ':') {
      ++pos;
      if (!Digits(t, &pos, 2, &second)) return Bad(text);
      if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
        ++pos;
        uint64_t scale = 100000;
        size_t start = pos;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
          fraction_us += static_cast<uint64_t>(t[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return Bad(text);
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return Bad(text);
    if (pos < t.size()) {
      if (t[pos] == 'Z' || t[pos] == 'z') {
        utc = true;
        ++pos;
      } else if (t[pos] == '+' || t[pos] == '-') {
        int sign = t[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!Digits(t, &pos, 2, &oh)) return Bad(text);
        if (pos < t.size() && t[pos] == ':') ++pos;
        if (!Digits(t, &pos, 2, &om) || oh > 23 || om > 59) return Bad(text);
        utc = true;
        offset_s = sign * (oh * 3600 + om * 60);
      }
    }
    if (pos != t.size()) return Bad(text);
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  parts.tm_isdst = -1;
  time_t secs = utc ? timegm(&parts) : mktime(&parts);
  if (secs == static_cast<time_t>(-1)) return Bad(text);
  int64_t s = static_cast<int64_t>(secs) - offset_s;
  if (s < 0) return Bad(text);
  return static_cast<uint64_t>(s) * kSecondUs + fraction_us;
}

std::string FormatLocalTime(uint64_t time_us) {
  time_t secs = static_cast<time_t>(time_us / kSecondUs);
  tm t;
  localtime_r(&secs, &t);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &t);
  return buf;
}

std::string FormatDuration(uint64_t us) {
  uint64_t s = us / kSecondUs;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

}  // namespace portscope::report
