// Small text helpers shared by several modules: splitting, trimming, strict
// number parsing, case folding, and escaping of untrusted bytes for a terminal.
#ifndef PORTSCOPE_BASE_TEXT_H_
#define PORTSCOPE_BASE_TEXT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portscope {

std::string_view Trim(std::string_view s);
/// Splits on `sep`, keeping empty fields.
std::vector<std::string_view> Split(std::string_view s, char sep);
/// Splits on runs of spaces and tabs, dropping empty fields.
std::vector<std::string_view> SplitWhitespace(std::string_view s);
/// Parses a decimal number in [0, max] with no sign, no spaces and no junk.
std::optional<uint32_t> ParseUint(std::string_view s, uint32_t max);
std::string ToLower(std::string_view s);  // ASCII letters only
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);

/// Makes untrusted bytes safe to print on a terminal or in a log line: control
/// characters, DEL, backslash and invalid UTF-8 become \xNN escapes; valid
/// printable UTF-8 passes through.
std::string EscapeForTerminal(std::string_view bytes);

/// Groups thousands: 48128 -> "48,128".
std::string WithCommas(uint64_t n);

/// A count and its noun: "1 source", "2,048 sources".
std::string CountOf(uint64_t n, std::string_view one, std::string_view many);

/// Runs of consecutive numbers in `ports`, in the order given, as (first,
/// last): {22, 80, 81, 82} -> (22, 22), (80, 82).
std::vector<std::pair<uint16_t, uint16_t>> SplitPortRuns(std::span<const uint16_t> ports);

/// Ports as runs of consecutive numbers, in the order given: {22, 80, 81, 82}
/// -> "22,80-82". When the next run would take the text past `max_chars`, or
/// `more` says the list was cut, ",..." ends it. "" for no ports.
std::string PortRuns(std::span<const uint16_t> ports, size_t max_chars = std::string::npos, bool more = false);

}  // namespace portscope

#endif  // PORTSCOPE_BASE_TEXT_H_
