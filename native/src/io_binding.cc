// Node-API face of io/: sendfile on its own thread, and the direct I/O file
// whose flush and read run on libuv's thread pool (like node:fs).
//
// Exports:
//   sendfile(outFd, inFd, offset, length) -> Promise<number>   bytes sent;
//       rejects with {code: errno name | "ESHORT", syscall, bytesSent}
//   DirectFile.open(path, {dsync, direct, writeBehindBytes}) -> DirectFile  synchronous
//     .append(bytes) -> logical length      .flush() -> Promise<durable length>
//     .waitWritten(maxBytes) -> Promise<durable length>  (writes until at most maxBytes are not in the file)
//     .read(offset, length) -> Promise<Buffer>                  .close()
//     .length() .durableLength() .writtenLength() .stagedBytes() .directIo .reason .blockSize
//   DirectFile.totals() -> {writes, writeBytes, writeMs, syncs, syncMs, writerIdleMs, waitMs}  (the process's)
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include <memory>
#include <string>
#include <vector>

#include "io/direct_file.h"
#include "io/sendfile.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

// The job works on duplicates of both descriptors, taken synchronously on the
// JS thread: if JS closes the socket or file meanwhile, the duplicates keep
// the same open file alive, so a recycled fd number is never written to.
class SendFileJob : public ThreadJob {
 public:
  SendFileJob(int out_fd, int in_fd, uint64_t offset, uint64_t length)
      : out_fd_(out_fd), in_fd_(in_fd), offset_(offset), length_(length) {}
  ~SendFileJob() override {
    close(out_fd_);
    close(in_fd_);
  }
  SendFileJob(const SendFileJob&) = delete;
  SendFileJob& operator=(const SendFileJob&) = delete;

  void Execute() override { result_ = io::SendFileRange(out_fd_, in_fd_, offset_, length_, stop_flag()); }

  Napi::Value Settle(Napi::Env env, bool* reject) override {
    if (result_.error == 0) return Napi::Number::New(env, static_cast<double>(result_.sent));
    *reject = true;
    Napi::Error e = result_.error == io::kShortFile
                        ? Napi::Error::New(env, "file ended before the requested range")
                        : ErrnoError(env, result_.error, result_.syscall, "sendfile");
    if (result_.error == io::kShortFile) e.Set("code", Napi::String::New(env, "ESHORT"));
    e.Set("bytesSent", Napi::Number::New(env, static_cast<double>(result_.sent)));
    return e.Value();
  }

 private:
  int out_fd_;
  int in_fd_;
  uint64_t offset_;
  uint64_t length_;
  io::SendFileResult result_;
};

bool GetU64(Napi::Value v, uint64_t* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

bool GetFd(Napi::Value v, int* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || d != static_cast<double>(static_cast<int>(d))) return false;
  *out = static_cast<int>(d);
  return true;
}

Napi::Value SendFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int out_fd = -1;
  int in_fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  if (!GetFd(info[0], &out_fd) || !GetFd(info[1], &in_fd) || !GetU64(info[2], &offset) ||
      !GetU64(info[3], &length)) {
    return ThrowCoded(env, "EINVAL", "sendfile(outFd, inFd, offset, length): non-negative integers expected");
  }
  int out_dup = fcntl(out_fd, F_DUPFD_CLOEXEC, 0);
  if (out_dup < 0) {
    ErrnoError(env, errno, "dup", "sendfile: socket fd").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int in_dup = fcntl(in_fd, F_DUPFD_CLOEXEC, 0);
  if (in_dup < 0) {
    int err = errno;
    close(out_dup);
    ErrnoError(env, err, "dup", "sendfile: file fd").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return StartThreadJob(env, std::make_unique<SendFileJob>(out_dup, in_dup, offset, length));
}

class DirectFileWrap : public Napi::ObjectWrap<DirectFileWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DirectFile",
                       {StaticMethod("open", &DirectFileWrap::OpenJs), StaticMethod("totals", &DirectFileWrap::TotalsJs),
                        InstanceMethod("append", &DirectFileWrap::Append),
                        InstanceMethod("flush", &DirectFileWrap::Flush), InstanceMethod("read", &DirectFileWrap::Read),
                        InstanceMethod("waitWritten", &DirectFileWrap::WaitWritten),
                        InstanceMethod("close", &DirectFileWrap::Close), InstanceMethod("length", &DirectFileWrap::Length),
                        InstanceMethod("durableLength", &DirectFileWrap::DurableLength),
                        InstanceMethod("stagedBytes", &DirectFileWrap::StagedBytes),
                        InstanceMethod("writtenLength", &DirectFileWrap::WrittenLength),
                        InstanceAccessor("directIo", &DirectFileWrap::DirectIo, nullptr),
                        InstanceAccessor("reason", &DirectFileWrap::Reason, nullptr),
                        InstanceAccessor("blockSize", &DirectFileWrap::BlockSize, nullptr),
                        InstanceAccessor("dsync", &DirectFileWrap::Dsync, nullptr)});
  }

  explicit DirectFileWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DirectFileWrap>(info) {}

  io::DirectFile* file() { return file_.get(); }

 private:
  static Napi::Value TotalsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    io::DirectIoTotals t = io::ReadDirectIoTotals();
    Napi::Object o = Napi::Object::New(env);
    o.Set("writes", Napi::Number::New(env, static_cast<double>(t.writes)));
    o.Set("writeBytes", Napi::Number::New(env, static_cast<double>(t.write_bytes)));
    o.Set("writeMs", Napi::Number::New(env, static_cast<double>(t.write_ns) / 1e6));
    o.Set("syncs", Napi::Number::New(env, static_cast<double>(t.syncs)));
    o.Set("syncMs", Napi::Number::New(env, static_cast<double>(t.sync_ns) / 1e6));
    o.Set("writerIdleMs", Napi::Number::New(env, static_cast<double>(t.writer_idle_ns) / 1e6));
    o.Set("waitMs", Napi::Number::New(env, static_cast<double>(t.wait_ns) / 1e6));
    return o;
  }

  static Napi::Value OpenJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsObject()) return ThrowCoded(env, "EINVAL", "open(path, options) expected");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    Napi::Object o = info[1].As<Napi::Object>();
    io::DirectFileOptions options;
    options.dsync = o.Get("dsync").ToBoolean().Value();
    options.try_direct = o.Get("direct").ToBoolean().Value();
    Napi::Value wb = o.Get("writeBehindBytes");
    if (wb.IsNumber()) {
      double v = wb.As<Napi::Number>().DoubleValue();
      if (!(v >= 0 && v <= 1073741824.0)) return ThrowCoded(env, "EINVAL", "writeBehindBytes must be in [0, 1 GiB]");
      options.write_behind_bytes = static_cast<uint64_t>(v);
    }
    int err = 0;
    std::string what;
    std::unique_ptr<io::DirectFile> f = io::DirectFile::Open(path, options, &err, &what);
    if (!f) {
      ErrnoError(env, err, what.c_str(), "open " + path).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // Called as DirectFile.open(): `this` is the constructor of this env.
    if (!info.This().IsFunction()) return ThrowCoded(env, "EINVAL", "call as DirectFile.open()");
    Napi::Object obj = info.This().As<Napi::Function>().New({});
    DirectFileWrap::Unwrap(obj)->file_ = std::move(f);
    return obj;
  }

  bool Check(Napi::Env env) {
    if (file_) return true;
    ThrowCoded(env, "EBADF", "file is closed");
    return false;
  }

  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    uint8_t* data = nullptr;
    size_t len = 0;
    if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
    if (!file_->Append(data, len)) return ThrowCoded(env, "ENOMEM", "staging buffer allocation failed");
    return Napi::Number::New(env, static_cast<double>(file_->Length()));
  }

  class FlushWorker : public Napi::AsyncWorker {
   public:
    // max_unwritten < 0: Flush; else WriteDown(max_unwritten).
    FlushWorker(Napi::Object self, io::DirectFile* file, int64_t max_unwritten = -1)
        : Napi::AsyncWorker(self.Env(), "outrider.dio.flush"),
          self_(Napi::Persistent(self)),
          file_(file),
          max_unwritten_(max_unwritten),
          deferred_(Napi::Promise::Deferred::New(self.Env())) {}
    void Execute() override {
      err_ = max_unwritten_ < 0 ? file_->Flush(&durable_, &syscall_)
                                : file_->WriteDown(static_cast<uint64_t>(max_unwritten_), &durable_, &syscall_);
    }
    void OnOK() override {
      Napi::Env env = Env();
      if (err_ != 0) {
        deferred_.Reject(ErrnoError(env, err_, syscall_, "flush").Value());
      } else {
        deferred_.Resolve(Napi::Number::New(env, static_cast<double>(durable_)));
      }
    }
    Napi::Promise Promise() { return deferred_.Promise(); }

   private:
    Napi::ObjectReference self_;  // keeps the JS object (and file_) alive
    io::DirectFile* file_;
    int64_t max_unwritten_;
    Napi::Promise::Deferred deferred_;
    int err_ = 0;
    uint64_t durable_ = 0;
    const char* syscall_ = "flush";
  };

  class ReadWorker : public Napi::AsyncWorker {
   public:
    ReadWorker(Napi::Object self, io::DirectFile* file, uint64_t offset, uint64_t length)
        : Napi::AsyncWorker(self.Env(), "outrider.dio.read"),
          self_(Napi::Persistent(self)),
          file_(file),
          offset_(offset),
          length_(length),
          deferred_(Napi::Promise::Deferred::New(self.Env())) {}
    void Execute() override { err_ = file_->Read(offset_, length_, &data_, &syscall_); }
    void OnOK() override {
      Napi::Env env = Env();
      if (err_ != 0) {
        deferred_.Reject(ErrnoError(env, err_, syscall_, "read").Value());
      } else {
        deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, data_.data(), data_.size()));
      }
    }
    Napi::Promise Promise() { return deferred_.Promise(); }

   private:
    Napi::ObjectReference self_;  // keeps the JS object (and file_) alive
    io::DirectFile* file_;
    uint64_t offset_;
    uint64_t length_;
    Napi::Promise::Deferred deferred_;
    std::vector<uint8_t> data_;
    int err_ = 0;
    const char* syscall_ = "read";
  };

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    auto* w = new FlushWorker(info.This().As<Napi::Object>(), file_.get());
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value WaitWritten(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    uint64_t max = 0;
    if (!GetU64(info[0], &max)) return ThrowCoded(env, "EINVAL", "waitWritten(maxBytes): a non-negative integer expected");
    auto* w = new FlushWorker(info.This().As<Napi::Object>(), file_.get(), static_cast<int64_t>(max));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    uint64_t offset = 0;
    uint64_t length = 0;
    if (!GetU64(info[0], &offset) || !GetU64(info[1], &length) || length > (size_t{1} << 31)) {
      return ThrowCoded(env, "EINVAL", "read(offset, length): non-negative integers expected");
    }
    auto* w = new ReadWorker(info.This().As<Napi::Object>(), file_.get(), offset, length);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    // The TS layer closes only when no flush/read is in flight.
    file_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Length(const Napi::CallbackInfo& info) {
    if (!Check(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(file_->Length()));
  }
  Napi::Value DurableLength(const Napi::CallbackInfo& info) {
    if (!Check(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(file_->DurableLength()));
  }
  Napi::Value WrittenLength(const Napi::CallbackInfo& info) {
    if (!Check(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(file_->WrittenLength()));
  }
  Napi::Value StagedBytes(const Napi::CallbackInfo& info) {
    if (!Check(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(file_->StagedBytes()));
  }
  Napi::Value DirectIo(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), file_ && file_->direct_io());
  }
  Napi::Value Reason(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), file_ ? file_->reason() : "closed");
  }
  Napi::Value BlockSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), file_ ? file_->block_size() : 0);
  }
  Napi::Value Dsync(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), file_ && file_->dsync());
  }

  std::unique_ptr<io::DirectFile> file_;
};

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("sendfile", Napi::Function::New(env, SendFile, "sendfile"));
  exports.Set("DirectFile", DirectFileWrap::Define(env));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(io, InitIo);

}  // namespace outrider
