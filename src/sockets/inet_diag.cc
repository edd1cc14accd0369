#include "sockets/inet_diag.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace portscope::sockets {

std::string_view StateName(SockState s, registry::Proto proto) {
  switch (s) {
    case SockState::kEstablished: return "ESTAB";
    case SockState::kSynSent: return "SYN-SENT";
    case SockState::kSynRecv: return "SYN-RECV";
    case SockState::kFinWait1: return "FIN-WAIT-1";
    case SockState::kFinWait2: return "FIN-WAIT-2";
    case SockState::kTimeWait: return "TIME-WAIT";
    case SockState::kClose: return proto == registry::Proto::kUdp ? "UNCONN" : "CLOSE";
    case SockState::kCloseWait: return "CLOSE-WAIT";
    case SockState::kLastAck: return "LAST-ACK";
    case SockState::kListen: return "LISTEN";
    case SockState::kClosing: return "CLOSING";
    case SockState::kNewSynRecv: return "NEW-SYN-RECV";
    case SockState::kUnknown: break;
  }
  return "UNKNOWN";
}

std::string_view AttributionName(Attribution a) {
  switch (a) {
    case Attribution::kBpf: return "bpf";
    case Attribution::kProc: return "proc";
    case Attribution::kNone: break;
  }
  return "none";
}

std::vector<uint8_t> BuildDiagRequest(const DiagRequest& req) {
  // Room for the header, the request and a bytecode attribute of four ops.
  std::vector<uint8_t> buf(MNL_SOCKET_BUFFER_SIZE < 512 ? MNL_SOCKET_BUFFER_SIZE : 512);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = req.seq;
  auto* r = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  r->sdiag_family = req.family;
  r->sdiag_protocol = req.proto == registry::Proto::kUdp ? IPPROTO_UDP : IPPROTO_TCP;
  r->idiag_states = req.states;
  r->idiag_ext = 0;
  if (req.port) {
    // sport == P || dport == P, laid out as ss compiles an OR. Each test is
    // an op plus an op whose `no` carries the port; a test's `yes` falls
    // through, its `no` skips past its block. Between the two, a JMP (which
    // always takes `no`) jumps to the end: landing exactly at the end accepts,
    // 4 bytes past it rejects. The kernel's audit (inet_diag_bc_audit) walks
    // the `yes` chain, so every op must lie on it, as here.
    inet_diag_bc_op ops[5] = {};
    ops[0] = {INET_DIAG_BC_S_EQ, 8, 12};
    ops[1] = {INET_DIAG_BC_NOP, 0, *req.port};
    ops[2] = {INET_DIAG_BC_JMP, 4, 12};
    ops[3] = {INET_DIAG_BC_D_EQ, 8, 12};
    ops[4] = {INET_DIAG_BC_NOP, 0, *req.port};
    mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, sizeof ops, ops);
  }
  buf.resize(nlh->nlmsg_len);
  return buf;
}

namespace {

struct AttrState {
  std::optional<bool> v6only;
  bool malformed = false;
};

int OnAttr(const nlattr* attr, void* data) {
  auto* st = static_cast<AttrState*>(data);
  if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY) {
    if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0) {
      st->malformed = true;
      return MNL_CB_ERROR;
    }
    st->v6only = mnl_attr_get_u8(attr) != 0;
  }
  return MNL_CB_OK;
}

IpAddress AddressOf(uint8_t family, const uint32_t words[4]) {
  uint8_t bytes[16];
  std::memcpy(bytes, words, 16);
  return family == AF_INET ? IpAddress::V4(bytes) : IpAddress::V6(bytes);
}

}  // namespace

Result<DumpProgress> ParseDiagReply(std::span<const uint8_t> datagram, const DiagRequest& req,
                                    std::vector<SocketEntry>* out) {
  // libmnl walks the messages; nlmsg_ok checks each length against the bytes held.
  int len = static_cast<int>(datagram.size());
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data());
  if (len > 0 && len < static_cast<int>(sizeof(nlmsghdr)))
    return Status::Corrupt("netlink: truncated message header");
  while (mnl_nlmsg_ok(nlh, len)) {
    if (nlh->nlmsg_seq != req.seq)
      return Status::Corrupt("netlink: reply for sequence " + std::to_string(nlh->nlmsg_seq) +
                             ", expected " + std::to_string(req.seq));
    if (nlh->nlmsg_type == NLMSG_DONE)
      return (nlh->nlmsg_flags & NLM_F_DUMP_INTR) ? DumpProgress::kInterrupted : DumpProgress::kDone;
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr))
        return Status::Corrupt("netlink: truncated error message");
      nlmsgerr err;
      std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
      return Status::PosixError("sock_diag dump", -err.error);
    }
    if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
      return Status::Corrupt("netlink: unexpected message type " + std::to_string(nlh->nlmsg_type));
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(inet_diag_msg))
      return Status::Corrupt("netlink: truncated inet_diag_msg");
    inet_diag_msg msg;
    std::memcpy(&msg, mnl_nlmsg_get_payload(nlh), sizeof msg);
    if (msg.idiag_family != AF_INET && msg.idiag_family != AF_INET6)
      return Status::Corrupt("netlink: unknown address family " + std::to_string(msg.idiag_family));
    AttrState attrs;
    if (mnl_attr_parse(nlh, sizeof(inet_diag_msg), OnAttr, &attrs) < 0 || attrs.malformed)
      return Status::Corrupt("netlink: malformed attribute");
    SocketEntry e;
    e.proto = req.proto;
    e.v6 = msg.idiag_family == AF_INET6;
    e.local = AddressOf(msg.idiag_family, msg.id.idiag_src);
    e.remote = AddressOf(msg.idiag_family, msg.id.idiag_dst);
    e.local_port = ntohs(msg.id.idiag_sport);
    e.remote_port = ntohs(msg.id.idiag_dport);
    e.state = msg.idiag_state <= static_cast<uint8_t>(SockState::kNewSynRecv)
                  ? static_cast<SockState>(msg.idiag_state)
                  : SockState::kUnknown;
    e.uid = msg.idiag_uid;
    e.inode = msg.idiag_inode;
    e.v6only = attrs.v6only;
    out->push_back(std::move(e));
    nlh = mnl_nlmsg_next(nlh, &len);
  }
  if (len != 0) return Status::Corrupt("netlink: message length does not fit the datagram");
  return DumpProgress::kMore;
}

}  // namespace portscope::sockets
