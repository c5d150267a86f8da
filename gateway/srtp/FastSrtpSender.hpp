#pragma once
// The sender's fast path for AES_CM_128_HMAC_SHA1_80 (RFC 3711): AES-128 in counter mode with
// AES-NI, HMAC-SHA1 from precomputed pad states (OpenSSL's SHA-1, which uses SHA-NI where the CPU
// has it). About 400 bytes of state per stream instead of libsrtp's ~4 KiB spread over many
// allocations, and no per-packet context set-up. The fan-out walks this state for every station
// every frame, so its size is CPU time. libsrtp stays the reference: a unit test checks that
// both give the same bytes, and the fan-out falls back to libsrtp without AES-NI, and for GCM.

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <span>

namespace loa {

class FastSrtpSender {
public:
    static constexpr size_t kTagLength = 10;

    /// True if this CPU has AES-NI (and SSE4.1); otherwise use SrtpSession.
    static bool supported();

    /// `keyMaterial`: master key (16) || master salt (14). Derives the session keys (RFC 3711
    /// §4.3.1, key derivation rate 0).
    explicit FastSrtpSender(std::span<const uint8_t> keyMaterial);

    /// Protects the RTP packet of `length` bytes at the start of `buffer` in place, as packet
    /// index `index` (ROC << 16 | SEQ, which must match the header's sequence number) of stream
    /// `ssrc`. `buffer` must have room for kTagLength more bytes; returns the SRTP length, or 0
    /// if the packet is malformed or does not fit.
    size_t protect(std::span<uint8_t> buffer, size_t length, uint32_t ssrc, uint64_t index) const;

private:
    alignas(16) std::array<uint8_t, 176> roundKeys_{};  // AES-128 encryption schedule
    std::array<uint8_t, 14> sessionSalt_{};
    SHA_CTX innerPad_{};  // SHA-1 state after (auth key ^ ipad)
    SHA_CTX outerPad_{};  // SHA-1 state after (auth key ^ opad)
};

}  // namespace loa
