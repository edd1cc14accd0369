// Acceptance tests: the real portscope binary, as a user runs it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "run_binary.h"

namespace portscope {
namespace {

using testing::RunPortscope;
using nlohmann::json;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

TEST(Cli, Port2244IsNmsserverOnTcpAndUdpWithItsSource) {
  auto r = RunPortscope({"2244"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "2244/tcp  nmsserver")) << r.out;
  EXPECT_TRUE(Has(r.out, "2244/udp  nmsserver")) << r.out;
  EXPECT_TRUE(Has(r.out, "assigned: nmsserver - NMS Server  [iana]"));
  EXPECT_TRUE(Has(r.out, "[iana]      IANA port registry"));  // the legend names the source
  EXPECT_FALSE(Has(r.out, "unassigned"));
  EXPECT_FALSE(Has(r.out, "\033["));  // not a terminal: no colour
  EXPECT_TRUE(Has(r.out, "ss -tanp 'sport = :2244'"));
  EXPECT_TRUE(Has(r.out, "Get-NetUDPEndpoint -LocalPort 2244"));
}

// Port 0 is absent from Wireshark's copy, which lists assignments only: the
// card says it is not assigned, and that IANA may reserve it (IANA's CSV
// does), not that it is free for a service.
TEST(Cli, APortTheCopyDoesNotListIsNotAssignedAndMayBeReserved) {
  auto r = RunPortscope({"0/tcp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "unassigned (not listed: no assignment; IANA may list it as Reserved)  [iana]")) << r.out;
  // No command can show who holds port 0 ('sport = :0' matches every socket
  // not yet bound): the card says why instead of listing them.
  EXPECT_TRUE(Has(r.out, "who holds it nothing can: port 0 is reserved")) << r.out;
  EXPECT_FALSE(Has(r.out, "sport = :0")) << r.out;
  auto j = RunPortscope({"0/tcp", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(Has(j.out, "\"commands\": {}")) << j.out;
}

// The front binary answers `portscope PORT` itself and hands every command
// to portscope-cli by a list of its own (IsSubcommand): every command the
// help lists must reach its own help, not be read as a port.
TEST(Cli, EveryCommandInTheHelpReachesItsOwnHelp) {
  auto help = RunPortscope({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const size_t from = help.out.find("Subcommands:\n");
  ASSERT_NE(from, std::string::npos) << help.out;
  std::vector<std::string> names;
  std::istringstream lines(help.out.substr(from + 13));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    names.push_back(name);
  }
  EXPECT_GE(names.size(), 12u) << help.out;
  for (const std::string& name : names) {
    auto r = RunPortscope({name, "--help"});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: portscope " + name), std::string::npos) << name << ": " << r.out << r.err;
  }
}

TEST(Cli, Port2202IsImtcMapAndInfoIsTheSameCommand) {
  auto a = RunPortscope({"2202"});
  auto b = RunPortscope({"info", "2202"});
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_TRUE(Has(a.out, "2202/tcp  imtc-map"));
  EXPECT_TRUE(Has(a.out, "2202/udp  imtc-map"));
}

TEST(Cli, JsonFollowsTheDocumentedSchema) {
  auto r = RunPortscope({"--json", "2244/tcp,2202"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  const json& o = j[0];
  EXPECT_EQ(o["port"], 2244);
  EXPECT_EQ(o["proto"], "tcp");
  EXPECT_EQ(o["range"], "user");
  EXPECT_EQ(o["iana"]["status"], "assigned");
  ASSERT_FALSE(o["iana"]["services"].empty());
  const json& s = o["iana"]["services"][0];
  EXPECT_EQ(s["name"], "nmsserver");
  for (const char* k : {"description", "assignee", "reference", "registered", "modified",
                        "unauthorized_use", "notes"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_TRUE(o["frequency"].contains("open_frequency"));
  EXPECT_TRUE(o["frequency"].contains("rank"));
  EXPECT_TRUE(o["unofficial"].is_array());
  EXPECT_TRUE(o["security"].is_array());
  ASSERT_FALSE(o["sources"].empty());
  EXPECT_TRUE(o["sources"][0].contains("name"));
  EXPECT_TRUE(o["sources"][0].contains("version"));
  EXPECT_EQ(j[1]["port"], 2202);
  EXPECT_EQ(j[2]["proto"], "udp");
}

TEST(Cli, UnofficialUsesAndSecurityNotesCarryTheirSources) {
  auto r = RunPortscope({"--json", "8080/tcp", "31337"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_FALSE(j[0]["unofficial"].empty());
  EXPECT_TRUE(Has(j[0]["unofficial"][0]["source"].get<std::string>(), "Wikipedia"));
  bool security = false;
  for (size_t i = 1; i < j.size(); ++i)
    for (const auto& n : j[i]["security"]) security |= !n["source"].get<std::string>().empty();
  EXPECT_TRUE(security);
}

TEST(Cli, ListsRangesAndStdin) {
  auto r = RunPortscope({"--json", "22,80,2200-2250/tcp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  // 22 and 80 on tcp and udp (80 also on sctp), then 51 tcp ports.
  size_t tcp_range = 0;
  for (const auto& o : j) tcp_range += o["port"] >= 2200 && o["port"] <= 2250;
  EXPECT_EQ(tcp_range, 51u);
  // Blank lines and comments are skipped (awk '{print $7}' | sort -un gives
  // a blank line for lines without the field).
  auto s = RunPortscope({"--json", "-"}, {}, "\n2244/tcp   # from the firewall log\n\n# udp\n22/udp 53/udp\n");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  json k = json::parse(s.out);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0]["port"], 2244);
  EXPECT_EQ(k[2]["port"], 53);
}

// The options every command takes may come before the command's name.
TEST(Cli, JsonAndColorMayComeBeforeTheCommand) {
  const uint16_t port = testing::UnusedPort();
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"--json", "who", std::to_string(port)},
        {"--color", "never", "--json", "page", "2244"}, {"--json", "search", "nmsserver"},
        {"--color=never", "--json", "listening"}}) {
    auto r = RunPortscope(cmd);
    EXPECT_NE(r.exit_code, 2) << cmd[0] << " " << cmd[1] << ": " << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_TRUE(json::accept(r.out)) << r.out;
  }
  EXPECT_EQ(RunPortscope({"--json", "who", "2244"}).out, RunPortscope({"who", "--json", "2244"}).out);
}

TEST(Cli, BadInputIsOneClearMessageAndExit2) {
  struct Case {
    std::vector<std::string> args;
    std::string stdin_data;
    std::string want;
  } cases[] = {
      {{"70000"}, "", "port 70000 is out of range"},
      {{"-1"}, "", "never negative"},
      {{"abc"}, "", "invalid port 'abc'"},
      {{"22/foo"}, "", "unknown protocol 'foo'"},
      {{"5-2"}, "", "runs backwards"},
      {{""}, "", "empty port"},
      {{"22,"}, "", "empty item"},
      {{"-"}, "22\n\nfoo\n", "stdin line 3: "},
      {{"-"}, "", "no ports on stdin"},
      {{"-"}, "\n  \n# only comments\n", "no ports on stdin"},
      {{"page", "22,80"}, "", "one port number"},
      {{"page", "22/tcp"}, "", "`page` takes a port without a protocol (its page covers them all): `portscope page 22`"},
      {{"search", "--proto", "xyz", "http"}, "", "unknown protocol 'xyz'"},
      {{"search", "--limit", "0", "http"}, "", "--limit"},
      {{"info"}, "", "ports is required"},
      {{"db", "import", "/nonexistent/file.csv"}, "", "cannot read"},
      {{"--no-such-flag"}, "", "no-such-flag"},
  };
  for (const auto& c : cases) {
    auto r = RunPortscope(c.args, {}, c.stdin_data);
    std::string label = c.args.empty() ? "" : c.args[0];
    EXPECT_EQ(r.exit_code, 2) << label << ": " << r.err;
    EXPECT_TRUE(Has(r.err, c.want)) << label << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << label;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << label << ": " << r.err;
  }
}

TEST(Cli, ColourOnlyWhenAskedOrOnATerminal) {
  auto always = RunPortscope({"--color", "always", "22/tcp"});
  EXPECT_TRUE(Has(always.out, "\033[1m"));
  auto never = RunPortscope({"--color", "never", "22/tcp"});
  EXPECT_FALSE(Has(never.out, "\033["));
  auto no_color = RunPortscope({"22/tcp"}, {{"NO_COLOR", "1"}});
  EXPECT_FALSE(Has(no_color.out, "\033["));
}

TEST(Cli, HelpAndVersion) {
  auto v = RunPortscope({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(Has(v.out, "portscope "));
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--help"}, {"info", "--help"}, {"page", "--help"},
        {"search", "--help"}, {"db", "--help"}, {"db", "import", "--help"}, {"db", "info", "--help"}}) {
    auto h = RunPortscope(args);
    EXPECT_EQ(h.exit_code, 0) << args[0];
    EXPECT_TRUE(Has(h.out, "Usage")) << args[0];
  }
  EXPECT_TRUE(Has(RunPortscope({"--help"}).out, "Examples:"));
  EXPECT_TRUE(Has(RunPortscope({"search", "--help"}).out, "portscope search http"));
}

TEST(Cli, SearchRanksExactNamesFirst) {
  auto r = RunPortscope({"search", "http"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("80/tcp", 0), 0u) << r.out;
  auto pg = RunPortscope({"search", "--proto", "tcp", "--limit", "3", "postgresql"});
  EXPECT_TRUE(Has(pg.out, "5432/tcp")) << pg.out;
  EXPECT_LE(std::count(pg.out.begin(), pg.out.end(), '\n'), 3);
  auto none = RunPortscope({"search", "zzzz-nothing"});
  EXPECT_EQ(none.exit_code, 1);
  auto js = RunPortscope({"search", "--json", "--limit", "2", "ssh"});
  json j = json::parse(js.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["port"], 22);
}

TEST(Cli, PageTellsTheTruthAboutAnAssignedPort) {
  auto r = RunPortscope({"page", "--width", "400", "2244"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "Port 2244: nmsserver"));
  EXPECT_TRUE(Has(r.out, "IANA assigns port 2244 over TCP and UDP to nmsserver"));
  EXPECT_TRUE(Has(r.out, "User Ports"));
  EXPECT_TRUE(Has(r.out, "What to do if you see it"));
  EXPECT_TRUE(Has(r.out, "Sources"));
  EXPECT_FALSE(Has(r.out, "unassigned"));
}

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("db");
    env_ = {{"PORTSCOPE_DATA_DIR", dir_ + "/registry"}};
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    fwrite(content.data(), 1, content.size(), f);
    fclose(f);
    return path;
  }
  std::string dir_;
  std::map<std::string, std::string> env_;
};

const char kHeader[] =
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration "
    "Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n";

TEST_F(DbTest, ImportOverridesTheBuiltInRegistryAndDbInfoSaysSo) {
  std::string csv = Write("iana.csv", std::string(kHeader) +
                                          "nmsserver,2244,tcp,NMS Server,[Dmitry_Krasnonosenki],"
                                          "[Dmitry_Krasnonosenki],2001-02-03,2020-01-01,,,,\n");
  auto imp = RunPortscope({"db", "import", csv}, env_);
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_TRUE(Has(imp.out, "imported 1 rows"));
  auto card = RunPortscope({"--json", "2244/tcp"}, env_);
  json j = json::parse(card.out);
  EXPECT_EQ(j[0]["iana"]["services"][0]["assignee"], "[Dmitry_Krasnonosenki]");
  EXPECT_EQ(j[0]["iana"]["services"][0]["registered"], "2001-02-03");
  auto info = RunPortscope({"db", "info"}, env_);
  EXPECT_TRUE(Has(info.out, "imported; overrides the built-in data")) << info.out;
  EXPECT_TRUE(Has(info.out, "2020-01-01"));
  EXPECT_TRUE(Has(info.out, "[nmap]"));
  auto info_json = json::parse(RunPortscope({"db", "info", "--json"}, env_).out);
  EXPECT_EQ(info_json[0]["kind"], "iana");
  EXPECT_EQ(info_json[0]["built_in"], false);
  EXPECT_EQ(info_json[0]["services"], 1);
}

TEST_F(DbTest, AMalformedImportChangesNothing) {
  std::string good = Write("good.csv", std::string(kHeader) + "nmsserver,2244,tcp,NMS Server,[D],[D],,,,,,\n");
  ASSERT_EQ(RunPortscope({"db", "import", good}, env_).exit_code, 0);
  const std::string layer = dir_ + "/registry/iana.layer";
  std::string before = testing::ReadFileOrDie(layer);
  for (const std::string& bad :
       {std::string(kHeader) + "a,1,tcp,d,,,,,,,,\nb,99999,tcp,d,,,,,,,,\n",
        std::string(kHeader) + "a,1,tcp,\"unterminated,,,,,,,,\n", std::string("junk\n"),
        std::string("http 80/tcp www\n"), std::string()}) {
    auto r = RunPortscope({"db", "import", Write("bad.csv", bad)}, env_);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Has(r.err, "nothing was imported")) << r.err;
    EXPECT_EQ(testing::ReadFileOrDie(layer), before);
  }
  // No temporary files are left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/registry")) (void)e, ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(DbTest, ADamagedLayerFileFallsBackToTheBuiltInDataWithAWarning) {
  std::string good = Write("good.csv", std::string(kHeader) + "zzz,2244,tcp,Z,[D],[D],,,,,,\n");
  ASSERT_EQ(RunPortscope({"db", "import", good}, env_).exit_code, 0);
  std::string layer = dir_ + "/registry/iana.layer";
  std::string bytes = testing::ReadFileOrDie(layer);
  bytes[bytes.size() / 2] ^= 0x40;
  FILE* f = fopen(layer.c_str(), "w");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  auto r = RunPortscope({"2244/tcp"}, env_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Has(r.err, "checksum mismatch")) << r.err;
  EXPECT_TRUE(Has(r.out, "nmsserver"));  // the built-in layer, not the damaged one
  auto reset = RunPortscope({"db", "reset"}, env_);
  EXPECT_EQ(reset.exit_code, 0);
  EXPECT_TRUE(RunPortscope({"2244/tcp"}, env_).err.empty());
}

TEST_F(DbTest, AReservedPortIsNotHeadedByTheNameIanaWithdrew) {
  std::string csv = Write("iana.csv", std::string(kHeader) +
                                          ",2,tcp,Reserved,,,,2025-02-13,,,,\"De-assigned on 2025-02-13, "
                                          "previously compressnet by [Bernie_Volz]\"\n");
  ASSERT_EQ(RunPortscope({"db", "import", csv}, env_).exit_code, 0);
  auto r = RunPortscope({"2/tcp"}, env_);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "2/tcp") << r.out;  // nmap still says compressnet
  EXPECT_TRUE(Has(r.out, "reserved (not assigned to any service)"));
  EXPECT_TRUE(Has(r.out, "note: De-assigned on 2025-02-13"));
  json j = json::parse(RunPortscope({"--json", "2/tcp"}, env_).out);
  EXPECT_EQ(j[0]["iana"]["status"], "reserved");
}

// A port with several assignments shows each one's notes under it, and a
// note of several lines as several card lines.
TEST_F(DbTest, EachAssignmentsNotesAreUnderItsOwnLine) {
  std::string csv = Write("iana.csv", std::string(kHeader) +
                                          "http,80,tcp,World Wide Web HTTP,[IESG],[IETF_Chair],,2021-10-01,[RFC9110],,,"
                                          "Defined TXT keys: u=<username>\n"
                                          "www,80,tcp,World Wide Web HTTP,[IESG],[IETF_Chair],,2021-10-01,[RFC9110],,,"
                                          "\"A duplicate of \"\"http\"\".\n   Second line.\"\n"
                                          "www-http,80,tcp,World Wide Web HTTP,[Tim_Berners_Lee],,,,,,,\n");
  ASSERT_EQ(RunPortscope({"db", "import", csv}, env_).exit_code, 0);
  auto r = RunPortscope({"80/tcp"}, {{"PORTSCOPE_DATA_DIR", env_["PORTSCOPE_DATA_DIR"]}, {"NO_COLOR", "1"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t http = r.out.find("assigned: http -");
  // The contact, where it is not the assignee, as --json has it.
  EXPECT_TRUE(Has(r.out, "assignee [IESG], contact [IETF_Chair], reference [RFC9110], modified 2021-10-01")) << r.out;
  EXPECT_TRUE(Has(r.out, "assignee [Tim_Berners_Lee]\n")) << r.out;
  const size_t txt = r.out.find("note: Defined TXT keys: u=<username>");
  const size_t www = r.out.find("assigned: www -");
  const size_t dup = r.out.find("note: A duplicate of \"http\".");
  const size_t second = r.out.find("\n               " "      Second line.\n");
  const size_t www_http = r.out.find("assigned: www-http -");
  ASSERT_NE(http, std::string::npos) << r.out;
  EXPECT_LT(http, txt) << r.out;
  EXPECT_LT(txt, www) << r.out;
  EXPECT_LT(www, dup) << r.out;
  EXPECT_LT(dup, second) << r.out;
  EXPECT_LT(second, www_http) << r.out;
  EXPECT_EQ(r.out.find("note:", www_http), std::string::npos) << r.out;  // www-http has none
  EXPECT_EQ(r.out.find("\\x0a"), std::string::npos) << r.out;
}

// A row without a service name is shown with IANA's own words for it and
// its dates, not only as "unassigned".
TEST_F(DbTest, RowsWithoutAServiceKeepTheirWordsAndDates) {
  std::string csv = Write("iana.csv", std::string(kHeader) + ",1008,udp,Possibly used by Sun Solaris????,,,,,,,,\n" +
                                          ",585,,De-registered,,,,2006-04-25,,,,\"Use of 585 is not recommended, use 993 instead\"\n" +
                                          ",0,tcp,Reserved,,,,2024-12-20,[RFC6335],,,\n" + ",4,tcp,Unassigned,,,,,,,,\n");
  ASSERT_EQ(RunPortscope({"db", "import", csv}, env_).exit_code, 0);
  const std::map<std::string, std::string> env{{"PORTSCOPE_DATA_DIR", env_["PORTSCOPE_DATA_DIR"]}, {"NO_COLOR", "1"}};
  auto r = RunPortscope({"1008/udp"}, env);
  EXPECT_TRUE(Has(r.out, "unassigned (listed without a service name)")) << r.out;
  EXPECT_TRUE(Has(r.out, "IANA's row: Possibly used by Sun Solaris????")) << r.out;
  r = RunPortscope({"585/tcp"}, env);
  EXPECT_TRUE(Has(r.out, "IANA's row: De-registered, modified 2006-04-25")) << r.out;
  EXPECT_TRUE(Has(r.out, "note: Use of 585 is not recommended, use 993 instead")) << r.out;
  r = RunPortscope({"0/tcp"}, env);
  EXPECT_TRUE(Has(r.out, "reference [RFC6335], modified 2024-12-20")) << r.out;
  r = RunPortscope({"4/tcp"}, env);
  EXPECT_TRUE(Has(r.out, "unassigned (listed as Unassigned)")) << r.out;
  EXPECT_FALSE(Has(r.out, "IANA's row")) << r.out;
  // In JSON a row without a service has a null name (docs/json.md: what a
  // source does not give is null, not "").
  json j = json::parse(RunPortscope({"--json", "1008/udp"}, env).out);
  EXPECT_TRUE(j[0]["iana"]["services"][0]["name"].is_null()) << j.dump();
  EXPECT_EQ(j[0]["iana"]["services"][0]["description"], "Possibly used by Sun Solaris????");
}

TEST_F(DbTest, ImportsNmapServices) {
  std::string nmap = Write("nmap-services", "# $Id: nmap-services 40000 2025-01-01 $\nnmsserver\t2244/tcp\t0.500000\t# x\n");
  auto r = RunPortscope({"db", "import", nmap}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(RunPortscope({"--json", "2244/tcp"}, env_).out);
  EXPECT_EQ(j[0]["frequency"]["rank"], 1);
  EXPECT_NEAR(j[0]["frequency"]["open_frequency"].get<double>(), 0.5, 1e-6);
}

}  // namespace
}  // namespace portscope
