// Who may use the server: the bearer token for non-loopback addresses, and
// the Host check that keeps a loopback server out of reach of web pages on
// other sites (DNS rebinding).
//
// A token is presented in one of three ways, all compared in constant time:
//   Authorization: Bearer TOKEN   (curl, scripts, Prometheus)
//   ?token=TOKEN                  (once, in a browser: the server answers with
//                                  a cookie and, for pages, a redirect to the
//                                  same URL without the token)
//   Cookie: portscope_token=TOKEN (set by the above; HttpOnly, SameSite=Strict)
#ifndef PORTSCOPE_WEB_AUTH_H_
#define PORTSCOPE_WEB_AUTH_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace portscope::web {

inline constexpr std::string_view kTokenCookie = "portscope_token";
/// Shortest token accepted: 16 characters (about 96 bits from a base64 generator).
inline constexpr size_t kMinTokenLength = 16;

enum class AuthResult {
  kOk,           // no token needed, or a valid header or cookie
  kOkFromQuery,  // valid ?token=: answer with the cookie
  kDenied,
};

/// `token` empty: everyone is allowed.
AuthResult CheckAuth(std::string_view token, std::string_view authorization_header,
                     std::string_view cookie_header, std::optional<std::string_view> query_token);

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
