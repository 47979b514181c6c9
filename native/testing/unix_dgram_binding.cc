// Testing addon: a tiny Unix datagram receiver the tests use to play systemd
// for sd_notify (Node cannot bind AF_UNIX datagram sockets). Not part of the
// production addon.
//
// Exports:
//   unixDgramBind(path) -> fd
//   unixDgramRecv(fd, timeoutMs) -> Promise<Buffer | null>   null: timed out
//   closeFd(fd)
#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "notify/sd_notify.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

Napi::Value BindJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return ThrowCoded(env, "EINVAL", "path expected");
  int fd = notify::BindUnixDgram(info[0].As<Napi::String>().Utf8Value());
  if (fd < 0) {
    ErrnoError(env, -fd, "bind", "unix datagram socket").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

class RecvJob : public ThreadJob {
 public:
  RecvJob(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {}
  void Execute() override {
    // Poll in slices so teardown is not held up by a long timeout.
    int left = timeout_ms_;
    while (!stop_requested()) {
      int slice = left < 100 ? left : 100;
      rc_ = notify::RecvUnixDgram(fd_, slice, &data_);
      left -= slice;
      if (rc_ != 0 || left <= 0) break;
    }
  }
  Napi::Value Settle(Napi::Env env, bool* reject) override {
    if (rc_ < 0) {
      *reject = true;
      return ErrnoError(env, -rc_, "recv", "unix datagram socket").Value();
    }
    if (rc_ == 0) return env.Null();
    return Napi::Buffer<char>::Copy(env, data_.data(), data_.size());
  }

 private:
  int fd_;
  int timeout_ms_;
  int rc_ = 0;
  std::string data_;
};

Napi::Value RecvJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) return ThrowCoded(env, "EINVAL", "unixDgramRecv(fd, timeoutMs)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  if (fd < 0 || timeout < 0) return ThrowCoded(env, "EINVAL", "fd and timeout must be >= 0");
  return StartThreadJob(env, std::make_unique<RecvJob>(fd, timeout));
}

Napi::Value CloseFdJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) return ThrowCoded(env, "EINVAL", "fd expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0 || close(fd) != 0) ErrnoError(env, fd < 0 ? EBADF : errno, "close", "close").ThrowAsJavaScriptException();
  return env.Undefined();
}

void InitUnixDgram(Napi::Env env, Napi::Object exports) {
  exports.Set("unixDgramBind", Napi::Function::New(env, BindJs, "unixDgramBind"));
  exports.Set("unixDgramRecv", Napi::Function::New(env, RecvJs, "unixDgramRecv"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFdJs, "closeFd"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(unix_dgram, InitUnixDgram);

}  // namespace outrider
