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
// The parser on crafted datagrams is the testing addon's
// (native/testing/netlink_binding.cc).
#include <napi.h>

#include <string>
#include <vector>

#include "net/netlink_link.h"
#include "net/netlink_route.h"
#include "netlink_js.h"
#include "registry.h"
#include "thread_job.h"  // ErrnoError

namespace outrider {
namespace {

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

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkLinkFields", Napi::Number::New(env, net::kLinkFieldCount));
  exports.Set("NetlinkRoute", NetlinkRouteJs::Define(env));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(netlink, InitNetlink);

}  // namespace outrider
