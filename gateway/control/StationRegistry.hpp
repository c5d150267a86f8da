#pragma once
// What the gateway knows of each station from its receiver reports: where it is (the address
// its authenticated SRTCP came from: symmetric RTP keeps a NAT or 4G path open), when it was
// last heard, and the loss and jitter it reports. A report that fails authentication, or is a
// replay, changes nothing. Learned addresses are written to the state database before use.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/Log.hpp"
#include "net/SocketAddress.hpp"
#include "srtp/SrtpSession.hpp"
#include "state/StateStore.hpp"

namespace loa {

struct RegisteredStation {
    std::string id;
    uint32_t streamSsrc = 0;
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::vector<uint8_t> keyMaterial;
};

struct StationStatus {
    bool everHeard = false;
    int64_t lastSeenMs = 0;
    int64_t onlineSinceMs = 0;  ///< the first report after it was offline (or never heard)
    std::optional<SocketAddress> learned;  ///< where its reports come from
    uint64_t reports = 0;
    uint8_t fractionLost = 0;
    int32_t cumulativeLost = 0;
    double jitterMs = 0;
};

struct RegistryCounters {
    uint64_t reports = 0, authFailures = 0, unknown = 0, malformed = 0, moves = 0;
    uint64_t unsaved = 0;  ///< moves not made because the state database could not record them
};

class StationRegistry {
public:
    StationRegistry(StateStore& store, int offlineAfterS);

    /// The stations to recognise (on start and on reload); their learned addresses stay.
    void setStations(const std::vector<RegisteredStation>& stations);
    /// A datagram from the media port. When it is a genuine report from a station whose address
    /// changed, returns (station, new address) for the fan-out, after saving it.
    std::optional<std::pair<std::string, SocketAddress>> handle(std::span<uint8_t> datagram, const SocketAddress& from,
                                                                int64_t nowMs);
    /// Learned addresses saved by an earlier run.
    std::map<std::string, SocketAddress> savedAddresses();

    std::optional<StationStatus> status(const std::string& id);
    bool online(const StationStatus& s, int64_t nowMs) const {
        return s.everHeard && nowMs - s.lastSeenMs <= int64_t{offlineAfterS_} * 1000;
    }
    RegistryCounters counters();

private:
    struct Entry {
        RegisteredStation station;
        std::unique_ptr<SrtpSession> srtcp;  ///< made on its first report; keeps the replay window
        StationStatus status;
    };
    /// Logs a refused datagram, a few per interval (a flood must not flood the log).
    void refuse(const SocketAddress& from, std::string_view why, std::optional<uint32_t> ssrc);

    StateStore& store_;
    int offlineAfterS_;
    log::RateLimit refusalLog_, storageLog_;
    std::mutex mutex_;
    std::map<std::string, Entry> stations_;
    std::multimap<uint32_t, std::string> byReporter_;
    RegistryCounters counters_;
};

}  // namespace loa
