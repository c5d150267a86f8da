#pragma once
// Station master keys: derived from the gateway secret and the station id, or given in config.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "srtp/SrtpProfile.hpp"

namespace loa {

/// Master key || master salt for `stationId` under `profile`:
/// HKDF-SHA256(ikm = secret, salt = "loa/srtp/v1", info = "station:" + profile + ":" + id), and
/// from key epoch 1 on (an operator's re-key: a station whose state was lost) info ends in
/// ":epoch:" + epoch. The profile is in `info` so that one station's CM and GCM keys are unrelated.
std::vector<uint8_t> deriveStationKey(std::span<const uint8_t> gatewaySecret, std::string_view stationId,
                                      SrtpProfile profile, uint32_t epoch = 0);

/// A multicast group's master key || salt: as deriveStationKey, with info "group:" + profile + ":" + id.
std::vector<uint8_t> deriveGroupKey(std::span<const uint8_t> gatewaySecret, std::string_view groupId,
                                    SrtpProfile profile);
/// The key a studio (or a parent gateway) protects a live feed with, when the config gives
/// none: as deriveStationKey, with info "ingest:" + profile + ":" + name ("national/live").
std::vector<uint8_t> deriveIngestKey(std::span<const uint8_t> gatewaySecret, std::string_view ingestName,
                                     SrtpProfile profile);
/// A multicast group's SSRC: as deriveStationSsrc, with info "group-ssrc:" + id.
uint32_t deriveGroupSsrc(std::span<const uint8_t> gatewaySecret, std::string_view groupId);

/// The station's SSRC: HKDF-SHA256(secret, salt "loa/srtp/v1", info "ssrc:" + id), 4 bytes.
/// Stable, so that its SDP can name it (a=ssrc) for receivers such as GStreamer's srtpdec.
uint32_t deriveStationSsrc(std::span<const uint8_t> gatewaySecret, std::string_view stationId);

/// A short name for a key that gives nothing of it away: the first 8 bytes of
/// HKDF-SHA256(ikm = key, salt = "loa/srtp/v1", info = "key-id"), hex. State kept per key (replay
/// floors) is filed under it, so a new key starts afresh and an old one is never confused with it.
std::string keyFingerprint(std::span<const uint8_t> keyMaterial);

/// A gateway's tag in the alerts it originates (stream-info v2): the first 4 bytes of
/// HKDF-SHA256(ikm = its id, salt = "loa/srtp/v1", info = "gateway-tag"), big-endian.
uint32_t gatewayTag(std::string_view gatewayId);

/// Reads the gateway secret (hex, at least 16 bytes) from `path`; creates it with 32 random bytes
/// and mode 0600 if it does not exist. Throws loa::Error naming the file on failure.
std::vector<uint8_t> loadOrCreateSecret(const std::filesystem::path& path);

}  // namespace loa
