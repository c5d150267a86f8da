#pragma once
// What the gateway knows of each station from its receiver reports: where it is (the address
// its authenticated SRTCP came from: symmetric RTP keeps a NAT or 4G path open), when it was
// last heard, and the loss and jitter it reports. A report that fails authentication, or is a
// replay, changes nothing. Learned addresses are written to the state database before use.
// Replays are refused across restarts too: each station's reports have a durable replay floor
// (ReplayFloors) under its key, so a report captured before a restart moves nothing after it.

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
#include "rtp/Rtcp.hpp"
#include "srtp/SrtpSession.hpp"
#include "state/ReplayFloors.hpp"
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

/// A station whose stream goes to a new address: where its authenticated reports now come from.
struct StationMove {
    std::string station;
    SocketAddress address;
};

struct RegistryCounters {
    uint64_t reports = 0, authFailures = 0, unknown = 0, malformed = 0, moves = 0;
    uint64_t replays = 0;  ///< repeated within this run (the SRTCP replay window)
    uint64_t stale = 0;    ///< at or below the durable floor: captured before a restart
    uint64_t ahead = 0;    ///< beyond the saved floor (a station that rebooted or is new): taken once it is saved
    uint64_t unsaved = 0;  ///< reports not taken, or moves not made, because the state could not be saved
};

class StationRegistry {
public:
    /// `floors` keeps the reports' replay floors across restarts (none: within this run only).
    StationRegistry(StateStore& store, int offlineAfterS, ReplayFloors* floors = nullptr);
    /// How far a station's saved floor stays ahead of its newest report: one. A station that
    /// simply continues after a restart is taken again at its first or second report.
    static constexpr uint64_t kFloorMargin = 1;

    /// The stations to recognise (on start and on reload); their learned addresses stay.
    void setStations(const std::vector<RegisteredStation>& stations);
    /// Stations added or changed (`upserted`) and removed, the others left as they are: work in
    /// proportion to the change, not to the station count (the API adds one at a time).
    void update(const std::vector<RegisteredStation>& upserted, const std::vector<std::string>& removed);
    /// A datagram from the media port. When it is a genuine report from a station whose address
    /// changed, returns the move for the fan-out, after saving it. A report beyond its station's
    /// saved replay floor (a station that rebooted, or is new) waits for settle().
    std::optional<StationMove> handle(std::span<uint8_t> datagram, const SocketAddress& from, int64_t nowMs);
    /// After a batch of datagrams: saves the replay floors that waiting reports need (one
    /// transaction for all of them), then takes those reports; returns the moves they make.
    std::vector<StationMove> settle();
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
        ReplayFloors::Stream* floor = nullptr;
        StationStatus status;
    };
    struct Pending {
        std::string station;
        uint64_t index = 0;
        ReceiverReport report;
        SocketAddress from;
        int64_t nowMs = 0;
    };
    /// Acts on an authenticated report within its floor: status, and the move if it moved.
    std::optional<StationMove> take(Entry& e, uint64_t index, const ReceiverReport& report, const SocketAddress& from,
                                    int64_t nowMs);
    /// Logs a refused datagram, a few per interval (a flood must not flood the log).
    void refuse(const SocketAddress& from, std::string_view why, std::optional<uint32_t> ssrc);

    StateStore& store_;
    int offlineAfterS_;
    ReplayFloors* floors_;
    std::map<std::string, SocketAddress> saved_;  ///< learned addresses as the database had them at start
    log::RateLimit refusalLog_, storageLog_, aheadLog_;
    std::mutex mutex_;
    std::map<std::string, Entry> stations_;
    std::multimap<uint32_t, std::string> byReporter_;
    /// Takes `s` into `e` (a new entry, or the station's old one if its key is the same).
    void adopt(Entry& e, const RegisteredStation& s);
    void forgetReporter(const std::string& id);
    RegistryCounters counters_;
    std::vector<Pending> pending_;  ///< reports waiting for their floor to be saved
};

}  // namespace loa
