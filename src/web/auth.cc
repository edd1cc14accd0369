#include "web/auth.h"


#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/constant_time.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace portscope::web {

AuthResult CheckAuth(std::string_view token, std::string_view authorization, std::string_view cookie,
                     std::optional<std::string_view> query_token) {
  if (token.empty()) return AuthResult::kOk;
  if (query_token) return ConstantTimeEquals(*query_token, token) ? AuthResult::kOkFromQuery : AuthResult::kDenied;
  authorization = Trim(authorization);
  if (authorization.size() > 7 && EqualsIgnoreCase(authorization.substr(0, 7), "bearer ") &&
      ConstantTimeEquals(Trim(authorization.substr(7)), token))
    return AuthResult::kOk;
  for (auto part : Split(cookie, ';')) {
    part = Trim(part);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == kTokenCookie &&
        ConstantTimeEquals(part.substr(eq + 1), token))
      return AuthResult::kOk;
  }
  return AuthResult::kDenied;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::PosixError("cannot read the token file " + EscapeForTerminal(path), errno);
  std::string line;
  std::getline(in, line);
  const std::string token(Trim(line));
  if (token.size() < kMinTokenLength)
    return Status::InvalidArgument("the token in " + EscapeForTerminal(path) + " is " + std::to_string(token.size()) +
                                   " characters long; use at least " + std::to_string(kMinTokenLength) +
                                   " (e.g. `head -c 24 /dev/urandom | base64 > FILE`)");
  // It travels in a header and a cookie: printable ASCII without the
  // characters that end or quote a cookie value.
  for (char c : token)
    if (c <= 0x20 || c >= 0x7F || c == ';' || c == ',' || c == '"' || c == '\\')
      return Status::InvalidArgument("the token in " + EscapeForTerminal(path) +
                                     " holds a space, one of ; , \" \\ or a character that is not printable "
                                     "ASCII");
  return token;
}

bool LoopbackHostAllowed(std::string_view host) {
  if (host.empty()) return true;  // HTTP/1.0 clients; browsers always send Host
  std::string_view name = host;
  if (name.front() == '[') {
    const size_t close = name.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = name.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !ParseUint(rest.substr(1), 65535))) return false;
    name = name.substr(1, close - 1);
  } else if (const size_t colon = name.rfind(':'); colon != std::string_view::npos) {
    if (!ParseUint(name.substr(colon + 1), 65535)) return false;
    name = name.substr(0, colon);
  }
  if (EqualsIgnoreCase(name, "localhost")) return true;
  const auto ip = IpAddress::Parse(name);
  return ip && ip->is_loopback();
}

}  // namespace portscope::web
