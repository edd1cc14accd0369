// Escaping of untrusted text for HTML pages and URLs. Registry strings come
// from files a user may import and query strings come from the network, so
// every byte that reaches a page goes through one of these.
#ifndef PORTSCOPE_BASE_HTML_H_
#define PORTSCOPE_BASE_HTML_H_

#include <string>
#include <string_view>

namespace portscope {

/// Text safe inside an HTML element or a quoted attribute value: & < > " '
/// become character references; control characters other than tab, newline
/// and carriage return, and bytes that are not valid UTF-8, become U+FFFD, so
/// the page stays valid UTF-8 whatever the input.
std::string HtmlEscape(std::string_view text);
/// Appends HtmlEscape(text) to *out (the page builders' hot path).
void AppendHtmlEscaped(std::string_view text, std::string* out);

/// Percent-encodes everything except RFC 3986 unreserved characters, for a
/// value inside a URL query or path segment.
std::string UrlEncodeComponent(std::string_view text);

}  // namespace portscope

#endif  // PORTSCOPE_BASE_HTML_H_
