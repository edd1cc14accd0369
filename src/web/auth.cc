#include "web/auth.h"


#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/constant_time.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace portscope::web {

namespace {

// RFC 4648 base64 (with or without padding); nullopt on any other byte.
std::optional<std::string> DecodeBase64(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+') v = 62;
    else if (ch == '/') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

bool Authorized(std::string_view token, std::string_view authorization, std::optional<std::string_view> query_token) {
  if (token.empty()) return true;
  if (query_token) return ConstantTimeEquals(*query_token, token);
  authorization = Trim(authorization);
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view scheme = authorization.substr(0, space);
  const std::string_view credentials = Trim(authorization.substr(space + 1));
  if (EqualsIgnoreCase(scheme, "Bearer")) return ConstantTimeEquals(credentials, token);
  if (EqualsIgnoreCase(scheme, "Basic")) {
    // user:password, any user; the password is the token.
    const auto decoded = DecodeBase64(credentials);
    if (!decoded) return false;
    const size_t colon = decoded->find(':');
    return colon != std::string::npos && ConstantTimeEquals(std::string_view(*decoded).substr(colon + 1), token);
  }
  return false;
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
                                   " (e.g. `head -c 24 /dev/urandom | base64 | tr '+/' '-_' > FILE`)");
  // It travels in headers and URLs: printable ASCII, and none of the
  // characters that end or quote a header parameter.
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
