#pragma once
// HKDF-SHA256 (RFC 5869) through OpenSSL, and the station key derivation built on it.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace loa {

/// RFC 5869 HKDF-SHA256: extract with `salt`, expand with `info` to `length` bytes.
std::vector<uint8_t> hkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                std::span<const uint8_t> info, size_t length);

/// Fills `out` with cryptographically secure random bytes; throws loa::Error if the system can't.
void secureRandom(std::span<uint8_t> out);

}  // namespace loa
