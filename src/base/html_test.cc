#include "base/html.h"

#include <gtest/gtest.h>

#include "base/constant_time.h"

namespace portscope {
namespace {

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("a & b"), "a &amp; b");
  EXPECT_EQ(HtmlEscape("\"x\" 'y'"), "&quot;x&quot; &#39;y&#39;");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");  // no double-decoding shortcuts
  EXPECT_EQ(HtmlEscape("nmsserver"), "nmsserver");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(HtmlEscape, AttributeBreakoutsStayInsideTheValue) {
  // value="..." and value='...' both stay closed.
  const std::string v = HtmlEscape("\" onmouseover=\"alert(1)");
  EXPECT_EQ(v.find('"'), std::string::npos);
  EXPECT_EQ(HtmlEscape("' autofocus onfocus='x").find('\''), std::string::npos);
}

TEST(HtmlEscape, KeepsValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(HtmlEscape(std::string_view("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(HtmlEscape("\x1b[31m"), r + "[31m");
  EXPECT_EQ(HtmlEscape("\x7f"), r);
  EXPECT_EQ(HtmlEscape("\xC2\x9B"), r);          // C1 CSI
  EXPECT_EQ(HtmlEscape("\xC0\xBC"), r + r);      // overlong '<'
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), r + r + r);  // surrogate
  EXPECT_EQ(HtmlEscape("\xE2\x82"), r + r);      // truncated
  EXPECT_EQ(HtmlEscape("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(HtmlEscape("a\tb\nc\r"), "a\tb\nc\r");
}

TEST(HtmlEscape, AppendKeepsWhatIsThere) {
  std::string out = "<p>";
  AppendHtmlEscaped("1 < 2", &out);
  EXPECT_EQ(out, "<p>1 &lt; 2");
}

TEST(UrlEncodeComponent, EncodesAllButUnreserved) {
  EXPECT_EQ(UrlEncodeComponent("postgres"), "postgres");
  EXPECT_EQ(UrlEncodeComponent("a b&c=d/e?"), "a%20b%26c%3Dd%2Fe%3F");
  EXPECT_EQ(UrlEncodeComponent("<\"'>"), "%3C%22%27%3E");
  EXPECT_EQ(UrlEncodeComponent("-._~"), "-._~");
  EXPECT_EQ(UrlEncodeComponent("\xC3\xA9"), "%C3%A9");
}

TEST(ConstantTimeEquals, ComparesWholeSecrets) {
  EXPECT_TRUE(ConstantTimeEquals("s3cret-token-123", "s3cret-token-123"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token-124", "s3cret-token-123"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token-12", "s3cret-token-123"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token-1234", "s3cret-token-123"));
  EXPECT_FALSE(ConstantTimeEquals("", "s3cret-token-123"));
  EXPECT_FALSE(ConstantTimeEquals("abcabc", "abc"));  // a repeat of the secret is not the secret
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace portscope
