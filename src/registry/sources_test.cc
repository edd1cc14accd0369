#include "registry/sources.h"

#include <gtest/gtest.h>

#include "registry/layer_file.h"

namespace portscope::registry {
namespace {

const char kHeader[] =
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration "
    "Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n";

std::string Csv(const std::string& rows) { return std::string(kHeader) + rows; }

SourceInfo Strict() { return SourceInfo{"", "", "test.csv", true}; }

TEST(IanaCsv, ParsesRowsRangesQuotedNotesAndStatuses) {
  auto r = ParseIanaCsv(
      Csv("nmsserver,2244,tcp,NMS Server,[Dmitry_Krasnonosenki],[Dmitry_Krasnonosenki],,,,,,\n"
          "x11,6000-6063,udp,X Window System,[Stephen_Gildea],[Stephen_Gildea],,,,,Known "
          "Unauthorized Use on port 6003,\n"
          ",4,tcp,Unassigned,,,,,,,,\n"
          ",0,tcp,Reserved,,,,2024-12-20,[RFC6335],,,\n"
          "whois++,63,tcp,whois++,[R],[R],,,,,,\"This entry is an alias to \"\"whoispp\"\".\n"
          "This entry is now historic.\"\n"
          ",8010,,Reserved,,,,2018-01-09,,,yes,\n"
          "argus,,,ARGUS Protocol,,,,,,,,\n"),
      Strict());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows, 6u);
  EXPECT_EQ(r->portless, 1u);
  LayerView v = r->layer.view();
  EXPECT_EQ(v.date, "2024-12-20");
  ASSERT_EQ(v.ranges.size(), 1u);
  EXPECT_EQ(v.ranges[0].port_lo, 6000);
  EXPECT_EQ(v.ranges[0].port_hi, 6063);
  EXPECT_STREQ(v.Str(v.ranges[0].unauthorized), "Known Unauthorized Use on port 6003");
  bool saw_whois = false, saw_8010 = false;
  for (const auto& s : v.services) {
    if (s.port_lo == 63) {
      saw_whois = true;
      EXPECT_STREQ(v.Str(s.notes),
                   "This entry is an alias to \"whoispp\".\nThis entry is now historic.");
    }
    if (s.port_lo == 8010) {
      saw_8010 = true;
      EXPECT_EQ(s.protos, kAllProtoMask);  // no protocol: every protocol
      EXPECT_EQ(s.status, EntryStatus::kReserved);
    }
    if (s.port_lo == 4) { EXPECT_EQ(s.status, EntryStatus::kUnassigned); }
    if (s.port_lo == 2244) { EXPECT_EQ(s.status, EntryStatus::kAssigned); }
  }
  EXPECT_TRUE(saw_whois);
  EXPECT_TRUE(saw_8010);
}

TEST(IanaCsv, MalformedInputIsAClearErrorNamingTheLine) {
  struct Case {
    const char* name;
    std::string input;
    const char* want;
  } cases[] = {
      {"not csv", "hello\n", "not an IANA port registry CSV"},
      {"empty", "", "not an IANA port registry CSV"},
      {"short row", Csv("a,1,tcp\n"), "line 2: expected 12 fields"},
      {"bad port", Csv("a,70000,tcp,d,,,,,,,,\n"), "line 2: bad port number"},
      {"backwards range", Csv("a,5-2,tcp,d,,,,,,,,\n"), "line 2: bad port number"},
      {"negative", Csv("a,-1,tcp,d,,,,,,,,\n"), "line 2: bad port number"},
      {"bad proto", Csv("a,1,foo,d,,,,,,,,\n"), "line 2: unknown transport protocol"},
      {"bad date", Csv("a,1,tcp,d,,,yesterday,,,,,\n"), "line 2: bad date"},
      {"unterminated", Csv("a,1,tcp,\"d,,,,,,,,\n"), "unterminated quoted field"},
      {"stray quote", Csv("a,1,tcp,d\"x,,,,,,,,\n"), "stray quote"},
      {"no rows", Csv(""), "holds no port rows"},
      {"line numbers count quoted newlines",
       Csv("a,1,tcp,\"x\ny\",,,,,,,,\nb,99999,tcp,d,,,,,,,,\n"), "line 4: bad port number"},
  };
  for (const auto& c : cases) {
    auto r = ParseIanaCsv(c.input, Strict());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}

TEST(IanaCsv, EveryTruncationIsHandled) {
  const std::string full = Csv(
      "nmsserver,2244,tcp,NMS Server,[D],[D],2001-01-01,2002-02-02,[RFC1],,,\"a \"\"b\"\"\nc\"\n"
      "x11,6000-6063,udp,X,[S],[S],,,,,,\n");
  for (size_t n = 0; n <= full.size(); ++n) {
    auto r = ParseIanaCsv(std::string_view(full).substr(0, n), Strict());
    if (r.ok()) {
      EXPECT_GE(r->rows, 1u) << n;
    }
  }
}

TEST(IanaCsv, LenientModeSkipsAndCountsBadRows) {
  SourceInfo lenient = Strict();
  lenient.strict = false;
  auto r = ParseIanaCsv(Csv("a,1,tcp,d,,,,,,,,\nb,x,tcp,d,,,,,,,,\nc,2,tcp\n"), lenient);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 1u);
  EXPECT_EQ(r->skipped, 2u);
}

TEST(Services, ParsesAliasesRangesAndProtocolLists) {
  auto r = ParseServices(
      "# comment\n"
      "http\t\t80/tcp\t\twww\t# WorldWideWeb HTTP\n"
      "x11\t\t6000-6063/tcp/udp\t# X Window System\n"
      "discard\t9/tcp/udp/sctp/dccp\n",
      SourceKind::kEtcServices, SourceInfo{"/etc/services", "", "/etc/services", true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  LayerView v = r->layer.view();
  ASSERT_EQ(v.services.size(), 2u);
  EXPECT_STREQ(v.Str(v.services[1].aliases), "www");
  EXPECT_STREQ(v.Str(v.services[1].description), "WorldWideWeb HTTP");
  EXPECT_EQ(v.services[0].protos, kAllProtoMask);
  ASSERT_EQ(v.ranges.size(), 1u);
  EXPECT_EQ(v.ranges[0].protos, MaskOf(Proto::kTcp) | MaskOf(Proto::kUdp));
}

TEST(Services, StrictModeNamesTheBadLine) {
  auto r = ParseServices("ok 1/tcp\nbroken 1/xyz\n", SourceKind::kEtcServices,
                         SourceInfo{"", "", "", true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
}

TEST(NmapServices, ParsesFrequenciesAndRanksPerProtocol) {
  auto r = ParseNmapServices(
      "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n"
      "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
      "ssh\t22/tcp\t0.182286\n"
      "unknown\t4/tcp\t0.000477\n"
      "rje\t5/tcp\t0.000000\n"
      "domain\t53/udp\t0.213496\n",
      SourceInfo{"nmap-services", "nmap 7.93", "nmap-services", true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  LayerView v = r->layer.view();
  EXPECT_EQ(v.date, "2022-08-31");
  EXPECT_EQ(v.version, "nmap 7.93, r38442");
  EXPECT_EQ(v.ranked[static_cast<int>(Proto::kTcp)], 3u);
  EXPECT_EQ(v.ranked[static_cast<int>(Proto::kUdp)], 1u);
  for (const auto& f : v.frequencies) {
    if (f.port == 80) { EXPECT_EQ(f.rank, 1u); }
    if (f.port == 22) { EXPECT_EQ(f.rank, 2u); }
    if (f.port == 4) {
      EXPECT_EQ(f.rank, 3u);
      EXPECT_STREQ(v.Str(f.name), "");  // nmap's "unknown" is no name
    }
    if (f.port == 5) { EXPECT_EQ(f.rank, 0u); }
    if (f.port == 53) { EXPECT_EQ(f.rank, 1u); }
  }
}

TEST(NmapServices, RejectsBadFrequencies) {
  for (const char* bad : {"a 1/tcp 2.0\n", "a 1/tcp -0.1\n", "a 1/tcp nan\n", "a 1/tcp 0.1x\n",
                          "a 1-2/tcp 0.1\n", "a 1/tcp/udp 0.1\n"}) {
    auto r = ParseNmapServices(bad, SourceInfo{"", "", "", true});
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(Curated, RequiresFourFieldsAndASource) {
  OwnedLayer layer;
  std::string version;
  EXPECT_TRUE(AddCuratedNotes("# version: 2026-11-22\n8080\ttcp\tAlternative HTTP\tWikipedia\n",
                              NoteKind::kUnofficial, &layer, &version)
                  .ok());
  EXPECT_EQ(version, "2026-11-22");
  EXPECT_FALSE(AddCuratedNotes("8080\ttcp\tno source\n", NoteKind::kUnofficial, &layer, &version).ok());
  EXPECT_FALSE(AddCuratedNotes("8080\ttcp\ttext\t \n", NoteKind::kUnofficial, &layer, &version).ok());
  EXPECT_FALSE(AddCuratedNotes("80000\ttcp\ttext\tsrc\n", NoteKind::kUnofficial, &layer, &version).ok());
}

TEST(DetectFormat, RecognisesEachSource) {
  EXPECT_EQ(DetectFormat(std::string(kHeader)), SourceFormat::kIanaCsv);
  EXPECT_EQ(DetectFormat("# x\nhttp\t80/tcp\t0.48\t# web\n"), SourceFormat::kNmapServices);
  EXPECT_EQ(DetectFormat("http 80/tcp www\n"), SourceFormat::kServices);
  EXPECT_EQ(DetectFormat("\x89PNG\r\n"), SourceFormat::kUnknown);
  EXPECT_EQ(DetectFormat(""), SourceFormat::kUnknown);
}

OwnedLayer SampleLayer() {
  auto r = ParseIanaCsv(Csv("nmsserver,2244,tcp,NMS Server,[D],[D],2001-01-01,,,,,\n"
                            "x11,6000-6063,udp,X,[S],[S],,,,,,\n"),
                        Strict());
  EXPECT_TRUE(r.ok());
  return std::move(r->layer);
}

TEST(LayerFile, RoundTripsEveryField) {
  OwnedLayer layer = SampleLayer();
  std::string bytes = LayerFileCodec::Encode(layer);
  auto back = LayerFileCodec::Decode({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  ASSERT_TRUE(back.ok()) << back.status().message();
  LayerView a = layer.view(), b = back->view();
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.date, b.date);
  ASSERT_EQ(a.services.size(), b.services.size());
  EXPECT_STREQ(b.Str(b.services[0].name), "nmsserver");
  EXPECT_STREQ(b.Str(b.services[0].registered), "2001-01-01");
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_EQ(b.ranges[0].port_hi, 6063);
  EXPECT_EQ(LayerFileCodec::Encode(*back), bytes);
}

TEST(LayerFile, EveryTruncationAndEveryFlippedByteIsRefused) {
  std::string bytes = LayerFileCodec::Encode(SampleLayer());
  auto decode = [](const std::string& b) {
    return LayerFileCodec::Decode({reinterpret_cast<const uint8_t*>(b.data()), b.size()});
  };
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode(bytes.substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode(bytes + "x").ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x5a);
    EXPECT_FALSE(decode(b).ok()) << "flipped byte " << i;
  }
}

}  // namespace
}  // namespace portscope::registry
