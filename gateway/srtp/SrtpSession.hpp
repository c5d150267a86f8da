#pragma once
// One libsrtp session (srtp_t) with one master key, for one direction. libsrtp is wrapped here
// once: no other file includes its header, and its status codes become SrtpResult words.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "srtp/SrtpProfile.hpp"

namespace loa {

/// Initialises libsrtp once per process (thread-safe); throws loa::Error if it cannot.
void initLibSrtp();
/// libsrtp's version string, e.g. "libsrtp2 2.5.0".
std::string libSrtpVersion();

/// Outcome of protect/unprotect, in words rather than libsrtp codes.
enum class SrtpResult { ok, authFailed, replay, badPacket, keyExpired, failed };
std::string_view toString(SrtpResult r);

class SrtpSession {
public:
    enum class Direction { outbound, inbound };

    /// `keyMaterial` is master key || master salt (keyMaterialLength(profile) bytes). With
    /// `ssrc`, the session holds that one stream only (a sender's case: half the memory and no
    /// template lookup per packet); without, it takes any SSRC. Throws loa::Error for a wrong
    /// key length or if libsrtp refuses the policy.
    SrtpSession(Direction direction, SrtpProfile profile, std::span<const uint8_t> keyMaterial,
                std::optional<uint32_t> ssrc = std::nullopt);
    ~SrtpSession();
    SrtpSession(SrtpSession&& other) noexcept;
    SrtpSession& operator=(SrtpSession&& other) noexcept;
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;

    SrtpProfile profile() const { return profile_; }

    /// Sets the rollover counter that the next packet of `ssrc` is taken to carry (libsrtp's
    /// pending ROC), creating that SSRC's stream in the session if needed. A sender uses it to
    /// start above every packet index used before; a receiver to join a stream in progress.
    SrtpResult setRolloverCounter(uint32_t ssrc, uint32_t roc);
    /// The rollover counter of `ssrc`'s stream, if the session has one.
    std::optional<uint32_t> rolloverCounter(uint32_t ssrc) const;

    /// Protects the RTP packet of `length` bytes at the start of `buffer` in place; the buffer must
    /// have room for info(profile).maxTrailer more bytes. On ok, `length` is the SRTP length.
    SrtpResult protectRtp(std::span<uint8_t> buffer, size_t& length);
    SrtpResult unprotectRtp(std::span<uint8_t> buffer, size_t& length);
    /// Unprotects taking the packet to carry rollover counter `roc` (its index is roc << 16 | its
    /// sequence number). A packet that fails leaves no state behind for an SSRC not seen before,
    /// so a flood of made-up SSRCs costs no memory.
    SrtpResult unprotectRtpAt(std::span<uint8_t> buffer, size_t& length, uint32_t roc);
    SrtpResult protectRtcp(std::span<uint8_t> buffer, size_t& length);
    /// Outbound: the next SRTCP packet of `ssrc` carries index `next` (and those after it count
    /// on from there), so that a sender that restarts never repeats an index under its key (RFC
    /// 3711 §9.1). libsrtp has no public call for it: this sets its stream's own counter.
    SrtpResult setRtcpIndex(uint32_t ssrc, uint32_t next);
    /// The SRTCP index (31 bits) in a protected packet's trailer: in the clear, authenticated
    /// with the packet. None if too short for `profile`.
    static std::optional<uint32_t> rtcpIndexOf(SrtpProfile profile, std::span<const uint8_t> packet);
    /// The highest SRTCP index there is (2^31 - 1).
    static constexpr uint32_t kMaxRtcpIndex = 0x7fffffff;
    SrtpResult unprotectRtcp(std::span<uint8_t> buffer, size_t& length);

private:
    void* session_ = nullptr;  // srtp_t, opaque here
    SrtpProfile profile_;
    Direction direction_;
    std::array<uint8_t, 32> key_{};  // kept to add per-SSRC streams to the session
};

}  // namespace loa
