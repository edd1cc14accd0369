// ScanRecord's alert: ports listed singly and as runs of consecutive ports.
#include "detect/scan_record.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "detect/config.h"

namespace portscope::detect {
namespace {

// The alert of a scan that probed `ports` on one host.
Alert AlertFor(const std::vector<uint16_t>& ports) {
  auto r = std::make_unique<ScanRecord>();
  ResetScan(*r, 1, IpAddress::V4(0xcb007105u), 42);
  for (uint16_t p : ports) AddTarget(*r, 0xc0000201, nullptr, p);
  Alert a;
  FillAlert(*r, Config{}.fast, a);
  return a;
}

std::string Ranges(const Alert& a) {
  std::string s;
  for (int i = 0; i < a.port_ranges_listed; ++i) {
    const Alert::PortRange& r = a.port_ranges[static_cast<size_t>(i)];
    s += (i ? "," : "") + std::to_string(r.first) + (r.first == r.last ? "" : "-" + std::to_string(r.last));
  }
  return a.port_ranges_more ? s + ",..." : s;
}

TEST(ScanRecordAlert, ConsecutivePortsAreOneRange) {
  std::vector<uint16_t> ports;
  for (uint16_t p = 0; p <= 1000; ++p) ports.push_back(p);
  const Alert a = AlertFor(ports);
  EXPECT_EQ(a.ports_at_least, 1001u);
  EXPECT_EQ(a.ports_listed, kAlertPorts);
  EXPECT_EQ(Ranges(a), "0-1000");
}

TEST(ScanRecordAlert, RunsAcrossWordEdgesAndTheLastPort) {
  // 63-64 and 127-129 cross 64-bit words; 65535 is the last bit.
  const Alert a = AlertFor({22, 63, 64, 80, 127, 128, 129, 443, 444, 445, 8080, 65534, 65535});
  EXPECT_EQ(Ranges(a), "22,63-64,80,127-129,443-445,8080,65534-65535");
  EXPECT_FALSE(a.port_ranges_more);
}

TEST(ScanRecordAlert, AWholeWordAndPortZeroAlone) {
  std::vector<uint16_t> ports = {0};
  for (uint16_t p = 128; p < 192; ++p) ports.push_back(p);
  EXPECT_EQ(Ranges(AlertFor(ports)), "0,128-191");
  EXPECT_EQ(Ranges(AlertFor({})), "");
}

TEST(ScanRecordAlert, PastTheCapTheLowestRunsAndMore) {
  std::vector<uint16_t> ports;
  for (uint16_t p = 1; p <= 2 * kAlertPortRanges + 1; p += 2) ports.push_back(p);  // 17 lone ports
  const Alert a = AlertFor(ports);
  ASSERT_EQ(a.port_ranges_listed, kAlertPortRanges);
  EXPECT_TRUE(a.port_ranges_more);
  EXPECT_EQ(a.port_ranges[0].first, 1);
  EXPECT_EQ(a.port_ranges[kAlertPortRanges - 1].last, 2 * kAlertPortRanges - 1);
}

}  // namespace
}  // namespace portscope::detect
