// Implementation of zlib_codec.h.
#include "codec/zlib_codec.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

namespace outrider {
namespace codec {
namespace {

int WindowBits(ZFormat f) {
  switch (f) {
    case ZFormat::kGzip:
      return 15 + 16;
    case ZFormat::kRaw:
      return -15;
    case ZFormat::kZlib:
      break;
  }
  return 15;
}

struct DeflateStream {
  z_stream s{};
  bool ok = false;
  ~DeflateStream() {
    if (ok) deflateEnd(&s);
  }
};

struct InflateStream {
  z_stream s{};
  bool ok = false;
  ~InflateStream() {
    if (ok) inflateEnd(&s);
  }
};

}  // namespace

bool ZCompress(ZFormat format, const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out,
               std::string* error) {
  DeflateStream d;
  if (deflateInit2(&d.s, level, Z_DEFLATED, WindowBits(format), 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    *error = "deflateInit2 failed";
    return false;
  }
  d.ok = true;
  out->resize(deflateBound(&d.s, static_cast<uLong>(len)) + 32);
  size_t in_done = 0;
  size_t out_done = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    // zlib counts in uInt; feed at most 1 GiB at a time.
    size_t in_chunk = std::min<size_t>(len - in_done, 1u << 30);
    d.s.next_in = const_cast<Bytef*>(data + in_done);
    d.s.avail_in = static_cast<uInt>(in_chunk);
    if (out->size() - out_done < 64) out->resize(out->size() * 2);
    size_t out_chunk = std::min<size_t>(out->size() - out_done, 1u << 30);
    d.s.next_out = out->data() + out_done;
    d.s.avail_out = static_cast<uInt>(out_chunk);
    bool last = in_done + in_chunk == len;
    rc = deflate(&d.s, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      *error = "deflate failed";
      return false;
    }
    in_done += in_chunk - d.s.avail_in;
    out_done += out_chunk - d.s.avail_out;
  }
  out->resize(out_done);
  return true;
}

bool ZDecompress(ZFormat format, const uint8_t* data, size_t len, size_t max_output, std::vector<uint8_t>* out,
                 std::string* error) {
  InflateStream z;
  if (inflateInit2(&z.s, WindowBits(format)) != Z_OK) {
    *error = "inflateInit2 failed";
    return false;
  }
  z.ok = true;
  out->resize(std::min<size_t>(std::max<size_t>(len * 4, 4096), max_output));
  size_t in_done = 0;
  size_t out_done = 0;
  for (;;) {
    if (out_done == out->size()) {
      if (out->size() >= max_output) {
        *error = "output exceeds the limit";
        return false;
      }
      out->resize(std::min<size_t>(out->size() * 2, max_output));
    }
    size_t in_chunk = std::min<size_t>(len - in_done, 1u << 30);
    size_t out_chunk = std::min<size_t>(out->size() - out_done, 1u << 30);
    z.s.next_in = const_cast<Bytef*>(data + in_done);
    z.s.avail_in = static_cast<uInt>(in_chunk);
    z.s.next_out = out->data() + out_done;
    z.s.avail_out = static_cast<uInt>(out_chunk);
    int rc = inflate(&z.s, Z_NO_FLUSH);
    in_done += in_chunk - z.s.avail_in;
    out_done += out_chunk - z.s.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && in_done == len && z.s.avail_out != 0) {
      *error = "truncated input";
      return false;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      *error = z.s.msg != nullptr ? z.s.msg : "corrupt input";
      return false;
    }
  }
  out->resize(out_done);
  return true;
}

Inflater::Inflater() : s_(new z_stream_s{}) {}

Inflater::~Inflater() {
  if (ok_) inflateEnd(s_);
  delete s_;
}

bool Inflater::Decompress(ZFormat format, const uint8_t* data, size_t len, size_t max_output, size_t* out_len,
                          std::string* error, bool* too_large) {
  *too_large = false;
  *out_len = 0;
  int bits = WindowBits(format);
  if (!ok_) {
    if (inflateInit2(s_, bits) != Z_OK) {
      *error = "inflateInit2 failed";
      return false;
    }
    ok_ = true;
  } else if (inflateReset2(s_, bits) != Z_OK) {
    *error = "inflateReset2 failed";
    return false;
  }
  if (buf_.empty()) buf_.resize(16 * 1024);
  size_t in_done = 0;
  size_t out_done = 0;
  for (;;) {
    size_t cap = std::min(buf_.size(), max_output);
    if (out_done == cap) {
      if (cap >= max_output) {
        *too_large = true;
        *error = "output exceeds the limit";
        return false;
      }
      buf_.resize(std::min(buf_.size() * 2, max_output));
      cap = std::min(buf_.size(), max_output);
    }
    size_t in_chunk = std::min<size_t>(len - in_done, 1u << 30);
    size_t out_chunk = std::min<size_t>(cap - out_done, 1u << 30);
    s_->next_in = const_cast<Bytef*>(data + in_done);
    s_->avail_in = static_cast<uInt>(in_chunk);
    s_->next_out = buf_.data() + out_done;
    s_->avail_out = static_cast<uInt>(out_chunk);
    int rc = inflate(s_, Z_NO_FLUSH);
    in_done += in_chunk - s_->avail_in;
    out_done += out_chunk - s_->avail_out;
    if (rc == Z_STREAM_END) {
      if (in_done != len) {
        *error = "data after the end of the compressed stream";
        return false;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && in_done == len && s_->avail_out != 0) {
      *error = "truncated input";
      return false;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      *error = s_->msg != nullptr ? s_->msg : "corrupt input";
      return false;
    }
  }
  *out_len = out_done;
  return true;
}

}  // namespace codec
}  // namespace outrider
