#include "packet/reject.h"

namespace portscope::packet {

namespace {

// Indexed by the enumerator; reject_test.cc checks the size and that every
// name is distinct, so adding a reason without a name fails the build's tests.
constexpr std::array<std::string_view, kRejectCount> kNames = {
    "none",
    "unsupported_linktype",
    "truncated_ethernet",
    "truncated_vlan",
    "too_many_vlan_tags",
    "truncated_sll",
    "truncated_sll2",
    "truncated_loopback",
    "not_ip",
    "truncated_ip",
    "bad_ip_version",
    "truncated_ipv4",
    "bad_ipv4_version",
    "bad_ipv4_ihl",
    "ipv4_total_length_short",
    "ipv4_total_length_long",
    "truncated_ipv6",
    "bad_ipv6_version",
    "ipv6_payload_length_long",
    "truncated_ipv6_ext",
    "ipv6_ext_chain_too_long",
    "ipv6_hop_by_hop_not_first",
    "non_first_fragment",
    "tiny_fragment",
    "truncated_tcp",
    "bad_tcp_data_offset",
    "truncated_udp",
    "bad_udp_length",
    "truncated_icmp",
    "truncated_icmpv6",
};

}  // namespace

std::string_view RejectName(Reject r) {
  size_t i = static_cast<size_t>(r);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

}  // namespace portscope::packet
