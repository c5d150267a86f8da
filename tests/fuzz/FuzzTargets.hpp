#pragma once
// One entry point per parser that meets hostile input. libFuzzer drives them (tests/fuzz,
// scripts/fuzz), and the unit tests replay every input kept under tests/fuzz/corpus/ through
// the same functions. Each may refuse its input; none may crash, hang or leak.

#include <cstdint>
#include <span>
#include <string_view>

namespace loa::fuzz {

void rtp(std::span<const uint8_t> data);      ///< RTP view, stream-info extension, RTCP reports
void srtp(std::span<const uint8_t> data);     ///< SRTP and SRTCP unprotect with real sessions, then parse
void sdp(std::span<const uint8_t> data);      ///< station SDP
void config(std::span<const uint8_t> data);   ///< YAML config, and a station or schedule entry (API bodies)
void cap(std::span<const uint8_t> data);      ///< CAP 1.2 XML
void apiJson(std::span<const uint8_t> data);  ///< API requests: query strings and emergency bodies

/// The target called `name` (the directory name under tests/fuzz/corpus/), or null.
using Target = void (*)(std::span<const uint8_t>);
Target byName(std::string_view name);

}  // namespace loa::fuzz
