// Tests of lookup, search and the article over the built-in layers (the
// sources on the build machine) and over layers built here from text.
#include "registry/registry.h"

#include <gtest/gtest.h>

#include <set>

#include "registry/builtin.h"
#include "registry/page.h"
#include "registry/sources.h"

namespace portscope::registry {
namespace {

bool HasService(const PortFacts& f, std::string_view name) {
  for (const auto& s : f.iana)
    if (s.name == name && s.status == EntryStatus::kAssigned) return true;
  return false;
}

TEST(Builtin, KnowsTheAssignmentsPublicPagesGetWrong) {
  Registry reg;
  ASSERT_NE(reg.layer(SourceKind::kIana), nullptr) << "no IANA layer built in";
  for (Proto p : {Proto::kTcp, Proto::kUdp}) {
    PortFacts a = reg.Lookup({2244, p});
    EXPECT_EQ(a.iana_status, IanaStatus::kAssigned);
    EXPECT_TRUE(HasService(a, "nmsserver"));
    EXPECT_EQ(a.range, RangeClass::kUser);
    PortFacts b = reg.Lookup({2202, p});
    EXPECT_TRUE(HasService(b, "imtc-map"));
    ASSERT_NE(b.iana_source, nullptr);
    EXPECT_FALSE(b.iana_source->name.empty());
  }
}

TEST(Builtin, RangeRowsCoverEveryPortInTheRange) {
  Registry reg;
  for (uint16_t p : {6000, 6010, 6063}) EXPECT_TRUE(HasService(reg.Lookup({p, Proto::kTcp}), "x11")) << p;
  EXPECT_FALSE(HasService(reg.Lookup({6064, Proto::kTcp}), "x11"));
}

TEST(Builtin, RangeClassesFollowRfc6335) {
  EXPECT_EQ(ClassOf(0), RangeClass::kSystem);
  EXPECT_EQ(ClassOf(1023), RangeClass::kSystem);
  EXPECT_EQ(ClassOf(1024), RangeClass::kUser);
  EXPECT_EQ(ClassOf(49151), RangeClass::kUser);
  EXPECT_EQ(ClassOf(49152), RangeClass::kDynamic);
  EXPECT_EQ(ClassOf(65535), RangeClass::kDynamic);
}

TEST(Builtin, FrequencyAndRankComeFromNmap) {
  Registry reg;
  if (!reg.layer(SourceKind::kNmap)) GTEST_SKIP() << "nmap-services was not on the build machine";
  PortFacts http = reg.Lookup({80, Proto::kTcp});
  ASSERT_TRUE(http.frequency);
  EXPECT_EQ(http.frequency->rank, 1u);  // the most often open TCP port in nmap's data
  EXPECT_GT(http.frequency->ranked, 1000u);
  PortFacts never = reg.Lookup({2244, Proto::kTcp});
  ASSERT_TRUE(never.frequency);
  EXPECT_EQ(never.frequency->rank, 0u);
}

TEST(Builtin, EtcServicesGivesAliases) {
  Registry reg;
  if (!reg.layer(SourceKind::kEtcServices)) GTEST_SKIP() << "/etc/services was not on the build machine";
  PortFacts f = reg.Lookup({80, Proto::kTcp});
  ASSERT_FALSE(f.etc_services.empty());
  EXPECT_EQ(f.etc_services[0].name, "http");
}

TEST(Curated, CoversAtLeast300PortsWithUnofficialUsesEachWithASource) {
  Registry reg;
  const LayerView* cur = reg.layer(SourceKind::kCurated);
  ASSERT_NE(cur, nullptr);
  std::set<std::pair<int, int>> ports;
  size_t security = 0;
  for (const NoteRecord& n : cur->notes) {
    EXPECT_STRNE(cur->Str(n.source), "");
    EXPECT_STRNE(cur->Str(n.text), "");
    if (n.kind == NoteKind::kUnofficial) ports.insert({n.port_lo, n.port_hi});
    else ++security;
  }
  EXPECT_GE(ports.size(), 300u);
  EXPECT_GE(security, 50u);
  for (uint16_t p : {8080, 8443, 25565, 3000, 5000})
    EXPECT_FALSE(reg.Lookup({p, Proto::kTcp}).unofficial.empty()) << p;
  EXPECT_FALSE(reg.Lookup({31337, Proto::kTcp}).security.empty() &&
               reg.Lookup({31337, Proto::kUdp}).security.empty());
}

TEST(Search, ExactNameComesFirstAndPopularPortsLead) {
  Registry reg;
  auto hits = reg.Search("http", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].name, "http");
  EXPECT_EQ(hits[0].ref.port, 80);
  auto pg = reg.Search("postgresql", {Proto::kTcp, 5});
  ASSERT_FALSE(pg.empty());
  EXPECT_EQ(pg[0].ref.port, 5432);
  EXPECT_EQ(pg[0].ref.proto, Proto::kTcp);
  EXPECT_TRUE(reg.Search("zzzz-no-such-service", {}).empty());
  auto limited = reg.Search("a", {std::nullopt, 7});
  EXPECT_EQ(limited.size(), 7u);
}

TEST(Search, FindsByDescriptionAndAssigneeWords) {
  Registry reg;
  auto hits = reg.Search("NMS Server", {});
  bool found = false;
  for (const auto& h : hits) found |= h.ref.port == 2244;
  EXPECT_TRUE(found);
}

const char kCsv[] =
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration "
    "Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n"
    "nmsserver,2244,tcp,NMS Server,[Dmitry_Krasnonosenki],[Dmitry_Krasnonosenki],,,,,,\n"
    ",2245-2250,tcp,Unassigned,,,,,,,,\n"
    ",0,tcp,Reserved,,,,2024-12-20,[RFC6335],,,\n"
    "ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,[RFC4251],,,\n"
    "x11,6000-6063,tcp,X Window System,[Stephen_Gildea],[Stephen_Gildea],,,,,Known Unauthorized "
    "Use on port 6003,\n";

TEST(Override, AnImportedIanaLayerReplacesTheBuiltInOne) {
  auto parsed = ParseIanaCsv(kCsv, SourceInfo{"", "", "test.csv", true});
  ASSERT_TRUE(parsed.ok());
  LayerView v = parsed->layer.view();
  Registry reg(std::span<const LayerView>(&v, 1));
  PortFacts f = reg.Lookup({2244, Proto::kTcp});
  ASSERT_EQ(f.iana.size(), 1u);
  EXPECT_EQ(f.iana[0].assignee, "[Dmitry_Krasnonosenki]");
  EXPECT_EQ(f.iana_source, reg.layer(SourceKind::kIana));
  EXPECT_EQ(f.iana_source->origin, "test.csv");

  PortFacts gap = reg.Lookup({2246, Proto::kTcp});
  EXPECT_EQ(gap.iana_status, IanaStatus::kUnassigned);
  EXPECT_TRUE(gap.unassigned_listed);
  PortFacts absent = reg.Lookup({2244, Proto::kUdp});
  EXPECT_EQ(absent.iana_status, IanaStatus::kUnassigned);
  EXPECT_FALSE(absent.unassigned_listed);
  EXPECT_EQ(reg.Lookup({0, Proto::kTcp}).iana_status, IanaStatus::kReserved);
  PortFacts x = reg.Lookup({6003, Proto::kTcp});
  ASSERT_EQ(x.iana.size(), 1u);
  EXPECT_EQ(x.iana[0].unauthorized, "Known Unauthorized Use on port 6003");

  auto rfc = reg.Search("rfc4251", {});
  ASSERT_EQ(rfc.size(), 1u);
  EXPECT_EQ(rfc[0].ref.port, 22);
  EXPECT_TRUE(reg.Search("rfc425", {}).empty());  // a prefix of a number is not that RFC
  EXPECT_EQ(reg.Search("RFC 6335", {}).size(), 1u);
}

TEST(Article, StatesTheAssignmentWithItsSourceAndNeverCallsItUnassigned) {
  Registry reg;
  Article a = BuildArticle(reg, 2244);
  std::string all = a.title;
  for (const auto& s : a.sections)
    for (const auto& p : s.paragraphs) all += "\n" + p.text;
  EXPECT_NE(all.find("nmsserver"), std::string::npos);
  EXPECT_NE(all.find("IANA assigns port 2244"), std::string::npos);
  EXPECT_EQ(all.find("unassigned"), std::string::npos);
  EXPECT_NE(all.find("1024 to 49151"), std::string::npos);
  EXPECT_NE(all.find(std::string(reg.layer(SourceKind::kIana)->name)), std::string::npos);
}

// Port 0: no command can show its holder (`sport = :0` matches every socket
// not yet bound, `findstr :0` every line), so none is given, and the page
// and card say why.
TEST(Article, PortZeroHasNoHolderCommandsAndSaysWhy) {
  EXPECT_TRUE(HolderCommands({0, Proto::kTcp}).empty());
  EXPECT_TRUE(HolderCommands({0, Proto::kUdp}).empty());
  EXPECT_FALSE(HolderCommands({1, Proto::kTcp}).empty());
  Registry reg;
  Article a = BuildArticle(reg, 0);
  std::string all;
  for (const auto& s : a.sections)
    for (const auto& p : s.paragraphs) {
      all += p.text + "\n";
      for (const auto& c : p.code) all += c + "\n";
    }
  EXPECT_NE(all.find(kPortZeroHolders), std::string::npos) << all;
  EXPECT_EQ(all.find("sport = :0"), std::string::npos) << all;
  EXPECT_EQ(all.find("findstr"), std::string::npos) << all;
}

TEST(Article, AnUnassignedPortSaysSoWithTheRegistryDate) {
  auto parsed = ParseIanaCsv(kCsv, SourceInfo{"", "", "test.csv", true});
  ASSERT_TRUE(parsed.ok());
  LayerView v = parsed->layer.view();
  Registry reg(std::span<const LayerView>(&v, 1));
  Article a = BuildArticle(reg, 2247);
  std::string all;
  for (const auto& s : a.sections)
    for (const auto& p : s.paragraphs) all += p.text + "\n";
  EXPECT_NE(all.find("as unassigned (its row covers ports 2245-2250)"), std::string::npos) << all;
  EXPECT_NE(all.find("2024-12-20"), std::string::npos) << all;  // the registry's date
  EXPECT_NE(all.find("good tripwires"), std::string::npos);
}

}  // namespace
}  // namespace portscope::registry
