#pragma once
// The API's JSON views of the gateway: pure functions of what the gateway hands them (a settings
// snapshot, counters, what its registry knows), each tested alone. Called on the API's thread.

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/StationRegistry.hpp"
#include "fanout/Destination.hpp"
#include "rtp/PriorityLevel.hpp"
#include "settings/Settings.hpp"

namespace loa {

/// GET /api/schedule: each entry with its time, days, files and next start after `now`.
nlohmann::json scheduleView(const std::vector<ScheduleEntry>& schedule, std::chrono::system_clock::time_point now);

/// What the gateway knows of one station besides its definition.
struct StationFacts {
    const DestinationCounters* sent = nullptr;             ///< its fan-out counters, if it is sent to
    std::pair<std::string, PriorityLevel> programmeOnAir;  ///< its own programme's source on air
    const std::string* emergency = nullptr;                ///< the emergency it hears instead, if any
    std::optional<StationStatus> reports;                  ///< what its receiver reports said, if it is registered
    bool online = false;
    int offlineAfterS = 30;  ///< gateway.station_offline_s
};
/// One element of GET /api/stations.
nlohmann::json stationView(const StationSettings& station, const StationFacts& facts);

}  // namespace loa
