#pragma once
// The sender's fast path for AES_CM_128_HMAC_SHA1_80 (RFC 3711): AES-128 in counter mode with
// AES-NI, its keystream blocks computed four at a time; HMAC-SHA1 from the precomputed states
// after the key's inner and outer pads, with our own block function on the CPU's SHA
// instructions (OpenSSL's block transform where the CPU has none), so a packet costs its blocks
// and nothing else: no context copies, no buffering. 240 bytes of state per stream instead
// of libsrtp's ~4 KiB spread over many allocations. The fan-out walks this state for every
// station every frame, so its size is CPU time. libsrtp stays the reference: a unit test checks
// that both give the same bytes, and the fan-out falls back to libsrtp without AES-NI, and for GCM.

#include <array>
#include <cstdint>
#include <span>

namespace loa {

/// SHA-1's state after some whole 64-byte blocks.
using Sha1State = std::array<uint32_t, 5>;

/// Runs SHA-1's compression function over `blocks` 64-byte blocks (FIPS 180-4 §6.1.2), with the
/// SHA instructions where the CPU has them.
void sha1Blocks(Sha1State& state, const uint8_t* data, size_t blocks);

/// The same with OpenSSL's block transform: what sha1Blocks uses on CPUs without the SHA
/// extensions (public so that a test can compare the two on a CPU that has them).
void sha1BlocksWithOpenSsl(Sha1State& state, const uint8_t* data, size_t blocks);

/// The SHA-1 digest of `data`, hashed after `prefixBlocks` whole blocks that left `state` (FIPS
/// 180-4 padding over the whole length). With the state after a key's HMAC pad, this is HMAC's
/// inner or outer hash.
std::array<uint8_t, 20> sha1Finish(Sha1State state, size_t prefixBlocks, const uint8_t* data, size_t length);

class FastSrtpSender {
public:
    /// Also the room `protect` needs after the packet (the ROC is hashed from there too).
    static constexpr size_t kTagLength = 10;

    /// True if this CPU has AES-NI (and SSE4.1); otherwise use SrtpSession.
    static bool supported();
    /// True if this CPU has the SHA extensions (HMAC-SHA1 uses them).
    static bool hasShaInstructions();

    /// `keyMaterial`: master key (16) || master salt (14). Derives the session keys (RFC 3711
    /// §4.3.1, key derivation rate 0).
    explicit FastSrtpSender(std::span<const uint8_t> keyMaterial);
    ~FastSrtpSender();
    FastSrtpSender(const FastSrtpSender&) = delete;
    FastSrtpSender& operator=(const FastSrtpSender&) = delete;
    FastSrtpSender(FastSrtpSender&&) = default;  // the moved-from copy is wiped when it is destroyed
    FastSrtpSender& operator=(FastSrtpSender&&) = default;

    /// Protects the RTP packet of `length` bytes at the start of `buffer` in place, as packet
    /// index `index` (ROC << 16 | SEQ, which must match the header's sequence number) of stream
    /// `ssrc`. `buffer` must have room for kTagLength more bytes; returns the SRTP length, or 0
    /// if the packet is malformed or does not fit.
    size_t protect(std::span<uint8_t> buffer, size_t length, uint32_t ssrc, uint64_t index) const;

private:
    alignas(16) std::array<uint8_t, 176> roundKeys_{};  // AES-128 encryption schedule
    alignas(16) std::array<uint8_t, 16> sessionSalt_{};  // 14 bytes, then zeros: the IV's base
    Sha1State innerState_{};                             // SHA-1 after (auth key ^ ipad)
    Sha1State outerState_{};                             // SHA-1 after (auth key ^ opad)
};

}  // namespace loa
