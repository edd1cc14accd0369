// Who may use the server: the bearer token for non-loopback addresses, and
// the Host check that keeps a loopback server out of reach of web pages on
// other sites (DNS rebinding).
//
// A token is presented in one of three ways, each compared in constant time:
//   Authorization: Bearer TOKEN   curl, scripts, Prometheus
//   Authorization: Basic ...      a browser: any user name, the token as the
//                                 password. The 401 offers Basic, so the
//                                 browser asks once and then sends it to this
//                                 origin (scheme, host and port) only.
//   ?token=TOKEN                  a quick command line; it lands in shell
//                                 history and logs, so prefer the others
#ifndef PORTSCOPE_WEB_AUTH_H_
#define PORTSCOPE_WEB_AUTH_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace portscope::web {

/// Shortest token accepted: 16 characters.
inline constexpr size_t kMinTokenLength = 16;

/// True when no token is set, or one of the three carries it.
bool Authorized(std::string_view token, std::string_view authorization_header,
                std::optional<std::string_view> query_token);

/// The token in a file: its first line without trailing whitespace. Fails when
/// the file cannot be read, or the token is shorter than kMinTokenLength or
/// holds anything but printable ASCII other than space ; , " and backslash.
Result<std::string> ReadTokenFile(const std::string& path);

/// For a server bound to loopback: whether the Host header names this machine
/// (localhost, 127.0.0.0/8, [::1], with or without a port). A page on another
/// site that rebinds its name to 127.0.0.1 sends its own name and is refused.
bool LoopbackHostAllowed(std::string_view host_header);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_AUTH_H_
