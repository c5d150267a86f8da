#pragma once
// What each destination is sent under, from one place: its SSRC, its SRTP key, what the report
// registry checks its reports with, and the stream its SDP describes; and the live feeds' keys.
// Derived from the gateway secret (HKDF with fixed labels, srtp/StationKeys) unless the config
// gives a key. Immutable once made: any thread calls it.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/StationRegistry.hpp"
#include "sdp/StationSdp.hpp"
#include "settings/Settings.hpp"

namespace loa {

class StationCredentials {
public:
    explicit StationCredentials(std::vector<uint8_t> gatewaySecret) : secret_(std::move(gatewaySecret)) {}

    /// A station's stream SSRC: derived from its id alone (a re-key keeps it).
    uint32_t ssrc(const StationSettings& station) const;
    /// A station's SRTP master key and salt: from its config, else derived from its id and key epoch.
    std::vector<uint8_t> key(const StationSettings& station) const;
    uint32_t ssrc(const MulticastGroupSettings& group) const;
    std::vector<uint8_t> key(const MulticastGroupSettings& group) const;
    /// What the report registry authenticates a station's reports with (its SSRC and key).
    RegisteredStation registration(const StationSettings& station) const;
    /// What a station's SDP describes: its address, key, SSRC and its programme's format.
    StationStream describe(const Settings& settings, const StationSettings& station) const;
    StationStream describe(const Settings& settings, const MulticastGroupSettings& group) const;
    /// `programme` with each live feed's key filled in: from its config, or derived from the
    /// secret and "PROGRAMME/live" ("/upstream"); none for trusted plain RTP.
    ProgrammeSettings withIngestKeys(ProgrammeSettings programme) const;

private:
    std::vector<uint8_t> secret_;
};

/// The fan-out engine's id of a multicast group (station ids cannot contain ':').
std::string groupDestinationId(const std::string& groupId);

}  // namespace loa
