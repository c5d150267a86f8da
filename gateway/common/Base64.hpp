#pragma once
// Standard base64 (RFC 4648 §4) with padding, as SDES inline keys use it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loa {

std::string base64Encode(std::span<const uint8_t> data);
/// Strict decode: rejects characters outside the alphabet, bad padding and bad length.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);

std::string hexEncode(std::span<const uint8_t> data);
std::optional<std::vector<uint8_t>> hexDecode(std::string_view text);

}  // namespace loa
