#pragma once
// Station sync: what changes between two station lists (a reload, or the config and the runtime
// changes saved in the state database laid over it), worked out before anything is applied, so
// the gateway can build every new destination first and change nothing unless all can. Pure
// functions, called on the control and API threads (one change at a time).

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/StationOptions.hpp"
#include "state/StateStore.hpp"

namespace loa {

/// Stations by id (pointing into `stations`): a reload or an emergency may concern thousands.
std::unordered_map<std::string_view, const StationSettings*> stationsById(const std::vector<StationSettings>& stations);

/// Whether `a` and `b` are sent the same stream (programme, address, profile, key, key epoch): if
/// not, the station's destination and registration are made anew. (Area, groups and tests
/// change only what emergencies target it.)
bool sameStream(const StationSettings& a, const StationSettings& b);

struct StationChanges {
    std::vector<std::string> leaving;              ///< removed or changed: their destinations go
    std::vector<std::string> gone;                 ///< removed: the report registry forgets them
    std::vector<const StationSettings*> arriving;  ///< new or changed (pointing into `after`)
    size_t added = 0, changed = 0, removed = 0;
    /// "A station(s) added, C changed, R removed".
    std::string summary() const;
};
StationChanges compareStations(const std::vector<StationSettings>& before, const std::vector<StationSettings>& after);

/// `items` with the runtime changes laid over them in order: removed, or replaced by (or added
/// as) `parse(definition, items)`. One that no longer parses is skipped and `skipped(id, why)` said.
template <class T, class Parse, class Skipped>
std::vector<T> overlaid(std::vector<T> items, const std::vector<StateStore::Change>& changes, Parse parse,
                        Skipped skipped) {
    // (parse may borrow `items` while it runs, and gives them back.)
    for (const auto& change : changes) {
        std::erase_if(items, [&](const T& x) { return x.id == change.id; });
        if (change.removed) continue;
        try {
            auto item = parse(change.definition, items);
            items.push_back(std::move(item));
        } catch (const std::exception& e) {
            skipped(change.id, e.what());
        }
    }
    return items;
}

}  // namespace loa
