#include "app/StationSync.hpp"

#include <string_view>
#include <unordered_map>

namespace loa {
std::unordered_map<std::string_view, const StationSettings*> stationsById(
    const std::vector<StationSettings>& stations) {
    std::unordered_map<std::string_view, const StationSettings*> index;
    index.reserve(stations.size());
    for (const auto& s : stations)
        index.emplace(s.id, &s);
    return index;
}

bool sameStream(const StationSettings& a, const StationSettings& b) {
    return a.programme == b.programme && a.address == b.address && a.profile == b.profile && a.key == b.key &&
           a.keyEpoch == b.keyEpoch;
}

std::string StationChanges::summary() const {
    return std::to_string(added) + " station(s) added, " + std::to_string(changed) + " changed, " +
           std::to_string(removed) + " removed";
}

StationChanges compareStations(const std::vector<StationSettings>& before, const std::vector<StationSettings>& after) {
    StationChanges c;
    const auto afterById = stationsById(after), beforeById = stationsById(before);
    for (const auto& old : before) {
        const auto it = afterById.find(old.id);
        const auto* now = it == afterById.end() ? nullptr : it->second;
        if (now && sameStream(old, *now)) continue;
        c.leaving.push_back(old.id);
        if (now) {
            ++c.changed;
        } else {
            ++c.removed;
            c.gone.push_back(old.id);
        }
    }
    for (const auto& s : after) {
        const auto it = beforeById.find(s.id);
        const auto* was = it == beforeById.end() ? nullptr : it->second;
        if (was && sameStream(*was, s)) continue;
        if (!was) ++c.added;
        c.arriving.push_back(&s);
    }
    return c;
}

}  // namespace loa
