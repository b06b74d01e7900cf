// Network-order integer encoding, as PostgreSQL's binary format and our page
// tokens use it.
#pragma once

#include <cstdint>

namespace asyncgrpc {

inline void StoreBigEndian(uint64_t value, int bytes, char* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

inline uint64_t LoadBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  }
  return value;
}

}  // namespace asyncgrpc
