// Node-API face of net/netlink_route.h and net/netlink_link.h: the links of
// the process's network namespace from one RTM_GETLINK dump.
//
// Exports:
//   netlinkLinkFields            numbers per link in `nums` (net::kLinkFieldCount)
//   new NetlinkRoute({ keepOpen })
//     dumpLinks()  synchronous; { strings, nums }: for link i, strings[4i..4i+3]
//                  are name, address, broadcast, ifalias and
//                  nums[i*netlinkLinkFields + net::LinkField] its numbers (NaN:
//                  absent). Throws an errno error (code, errno, syscall).
//     stats()      { dumps, failures, truncated, interrupted, skipped, sockets, bufferBytes }
//     close()      closes the socket (a later dump opens another)
//   netlinkParseLinks(bytes, seq, port, maxLinks)   parses one reply datagram
//                  (tests): { status: 'more'|'done'|'error'|'corrupt'|'too-many',
//                  error, interrupted, skipped, strings, nums }
#include <napi.h>

#include <cstring>
#include <string>
#include <vector>

#include "net/netlink_link.h"
#include "net/netlink_route.h"
#include "registry.h"
#include "thread_job.h"  // ErrnoError, GetBytes, ThrowCoded

namespace outrider {
namespace {

void SetLinks(Napi::Env env, Napi::Object out, const std::vector<net::LinkRecord>& links) {
  Napi::Array strings = Napi::Array::New(env, links.size() * 4);
  Napi::Float64Array nums = Napi::Float64Array::New(env, links.size() * net::kLinkFieldCount);
  for (size_t i = 0; i < links.size(); ++i) {
    const net::LinkRecord& l = links[i];
    uint32_t s = static_cast<uint32_t>(i * 4);
    strings.Set(s, Napi::String::New(env, l.name));
    strings.Set(s + 1, Napi::String::New(env, l.address));
    strings.Set(s + 2, Napi::String::New(env, l.broadcast));
    strings.Set(s + 3, Napi::String::New(env, l.ifalias));
    std::memcpy(nums.Data() + i * net::kLinkFieldCount, l.nums, sizeof l.nums);
  }
  out.Set("strings", strings);
  out.Set("nums", nums);
}

class NetlinkRouteJs : public Napi::ObjectWrap<NetlinkRouteJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkRoute",
                       {InstanceMethod<&NetlinkRouteJs::DumpLinks>("dumpLinks"),
                        InstanceMethod<&NetlinkRouteJs::Stats>("stats"), InstanceMethod<&NetlinkRouteJs::Close>("close")});
  }

  explicit NetlinkRouteJs(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NetlinkRouteJs>(info), dumper_(KeepOpen(info)) {}

 private:
  static bool KeepOpen(const Napi::CallbackInfo& info) {
    if (!info[0].IsObject()) return true;
    Napi::Value v = info[0].As<Napi::Object>().Get("keepOpen");
    return !v.IsBoolean() || v.As<Napi::Boolean>().Value();
  }

  Napi::Value DumpLinks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* syscall = "";
    int err = dumper_.Dump(links_, &syscall);
    if (err != 0) {
      ErrnoError(env, err, *syscall != '\0' ? syscall : "netlink reply", "RTM_GETLINK dump").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    SetLinks(env, out, links_);
    links_.clear();
    return out;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const net::LinkDumpStats& s = dumper_.stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("dumps", Napi::Number::New(env, static_cast<double>(s.dumps)));
    o.Set("failures", Napi::Number::New(env, static_cast<double>(s.failures)));
    o.Set("truncated", Napi::Number::New(env, static_cast<double>(s.truncated)));
    o.Set("interrupted", Napi::Number::New(env, static_cast<double>(s.interrupted)));
    o.Set("skipped", Napi::Number::New(env, static_cast<double>(s.skipped)));
    o.Set("sockets", Napi::Number::New(env, static_cast<double>(s.sockets)));
    o.Set("bufferBytes", Napi::Number::New(env, s.buffer_bytes));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    dumper_.Close();
    return info.Env().Undefined();
  }

  net::LinkDumper dumper_;
  std::vector<net::LinkRecord> links_;  // reused between dumps
};

const char* StatusName(net::ParseStatus s) {
  switch (s) {
    case net::ParseStatus::kMore: return "more";
    case net::ParseStatus::kDone: return "done";
    case net::ParseStatus::kError: return "error";
    case net::ParseStatus::kCorrupt: return "corrupt";
    case net::ParseStatus::kTooMany: return "too-many";
  }
  return "corrupt";
}

Napi::Value ParseLinksJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len) || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber()) {
    return ThrowCoded(env, "EINVAL", "netlinkParseLinks(bytes, seq, port, maxLinks) expected");
  }
  std::vector<net::LinkRecord> links;
  net::ParseResult r =
      net::ParseLinkReply(data, len, info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Uint32Value(),
                          info[3].As<Napi::Number>().Uint32Value(), links);
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", Napi::String::New(env, StatusName(r.status)));
  out.Set("error", Napi::Number::New(env, r.error));
  out.Set("interrupted", Napi::Boolean::New(env, r.interrupted));
  out.Set("skipped", Napi::Number::New(env, r.skipped));
  SetLinks(env, out, links);
  return out;
}

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkLinkFields", Napi::Number::New(env, net::kLinkFieldCount));
  exports.Set("NetlinkRoute", NetlinkRouteJs::Define(env));
  exports.Set("netlinkParseLinks", Napi::Function::New(env, ParseLinksJs, "netlinkParseLinks"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(netlink, InitNetlink);

}  // namespace outrider
