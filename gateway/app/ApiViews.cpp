#include "app/ApiViews.hpp"

#include <cstdio>

#include "pipelines/Schedule.hpp"

namespace loa {

nlohmann::json scheduleView(const std::vector<ScheduleEntry>& schedule, std::chrono::system_clock::time_point now) {
    static constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : schedule) {
        char at[16];
        std::snprintf(at, sizeof at, "%02d:%02d:%02d", e.secondOfDay / 3600, e.secondOfDay / 60 % 60,
                      e.secondOfDay % 60);
        nlohmann::json days = nlohmann::json::array();
        for (int d = 0; d < 7; ++d) {
            if (e.weekdays & (1u << d)) days.push_back(kDays[d]);
        }
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : e.files)
            files.push_back(f.string());
        nlohmann::json j = {{"id", e.id},
                            {"programme", e.programme},
                            {"at", at},
                            {"days", days},
                            {"priority", e.priority == SchedulePriority::bulletin ? "bulletin" : "normal"},
                            {"files", files}};
        if (e.date) {
            char date[16];
            std::snprintf(date, sizeof date, "%04d-%02d-%02d", (*e.date)[0], (*e.date)[1], (*e.date)[2]);
            j["date"] = date;
        }
        if (const auto next = nextOccurrence(e, now)) {
            j["next_start_ms"] =
                std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count();
        }
        out.push_back(std::move(j));
    }
    return out;
}

nlohmann::json stationView(const StationSettings& s, const StationFacts& facts) {
    nlohmann::json j = {{"id", s.id},
                        {"name", s.name},
                        {"programme", s.programme},
                        {"area", s.area},
                        {"groups", s.groups},
                        {"accepts_tests", s.acceptsTests},
                        {"address", s.learnsAddress() ? "learned" : s.address.toString()}};
    if (facts.sent) {
        j["packets"] = facts.sent->packets;
        j["bytes"] = facts.sent->bytes;
        j["send_errors"] = facts.sent->sendErrors;
        j["would_block"] = facts.sent->wouldBlock;
    }
    // What it hears now: its programme's source on air, or the emergency that reaches it.
    j["on_air"] = facts.programmeOnAir.first;
    j["level"] = toString(facts.programmeOnAir.second);
    if (facts.emergency) {
        j["emergency"] = *facts.emergency;
        j["on_air"] = "emergency";
        j["level"] = toString(PriorityLevel::emergency);
    }
    if (const auto& st = facts.reports) {
        j["online"] = facts.online;
        if (st->everHeard) {
            j["last_seen_ms"] = st->lastSeenMs;
            // When its status last changed: online since its first report after a silence,
            // or offline since its reports stopped for longer than station_offline_s.
            j["status_since_ms"] =
                facts.online ? st->onlineSinceMs : st->lastSeenMs + int64_t{facts.offlineAfterS} * 1000;
            j["reports"] = st->reports;
            j["fraction_lost"] = st->fractionLost / 256.0;
            j["cumulative_lost"] = st->cumulativeLost;
            j["jitter_ms"] = st->jitterMs;
        }
        if (st->learned) j["learned_address"] = st->learned->toString();
    }
    return j;
}

}  // namespace loa
