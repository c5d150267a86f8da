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
    SrtpResult protectRtcp(std::span<uint8_t> buffer, size_t& length);
    SrtpResult unprotectRtcp(std::span<uint8_t> buffer, size_t& length);

private:
    void* session_ = nullptr;  // srtp_t, opaque here
    SrtpProfile profile_;
    Direction direction_;
    std::array<uint8_t, 32> key_{};  // kept to add per-SSRC streams to the session
};

}  // namespace loa
