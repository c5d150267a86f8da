#pragma once
// How one destination's packets are protected: the fast path (FastSrtpSender) for
// AES_CM_128_HMAC_SHA1_80 where the CPU has AES-NI, else libsrtp (SrtpSession), which also does
// AEAD_AES_128_GCM. The sender always knows each packet's index, so neither needs to guess it.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "srtp/FastSrtpSender.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

class SrtpSender {
public:
    /// Throws loa::Error for a wrong key length. `allowFastPath` false always uses libsrtp
    /// (for comparisons).
    SrtpSender(SrtpProfile profile, std::span<const uint8_t> keyMaterial, uint32_t ssrc, bool allowFastPath = true);

    /// Before the first packet: the stream starts at rollover counter `roc`.
    void startAt(uint32_t roc);
    /// Protects the RTP packet (`length` bytes at the start of `buffer`, room for the trailer after
    /// it) as packet `index` of the stream; returns the SRTP length, or 0 if it cannot.
    size_t protect(std::span<uint8_t> buffer, size_t length, uint64_t index);
    bool usesFastPath() const { return fast_.has_value(); }

private:
    // Held inline, not behind a pointer: the fan-out reads this for every packet, and its lines
    // follow the destination's own.
    uint32_t ssrc_;
    std::optional<SrtpSession> session_;
    std::optional<FastSrtpSender> fast_;
};

}  // namespace loa
