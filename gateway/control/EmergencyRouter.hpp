#pragma once
// Which emergency each station hears while emergencies are on air. Each emergency on air has a
// slot (programmes of its own, encoded once per programme format) and the stations it lists; a
// station listed by several hears the one that outranks the others (AlertPrecedence), and goes
// back to its own programme when none lists it. Control threads (the API, the relay of a parent's alerts, station
// changes) call it under its own lock; it only decides, and the caller tells the fan-out.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/AlertPrecedence.hpp"

namespace loa {

class EmergencyRouter {
public:
    /// `slots`: how many emergencies may be on air at once (slots 0 to slots - 1).
    explicit EmergencyRouter(size_t slots);

    struct Taken {
        size_t slot = 0;                       ///< the slot it has
        std::optional<std::string> displaced;  ///< the emergency whose slot it took, if any
        std::vector<std::string> displacedStations;
    };
    /// Puts emergency `id` in a free slot, or in the slot of the lowest-standing one it is above
    /// (never by being newer). Throws loa::Error when every slot holds one it is not above.
    Taken take(const std::string& id, AlertStanding standing, const std::vector<std::string>& stations);
    /// Frees `id`'s slot; returns the stations it listed (empty if it had none).
    std::vector<std::string> release(const std::string& id);
    /// Adds a station to emergency `id` (a station that joined its targets); false if not on air.
    bool add(const std::string& id, const std::string& station);
    /// The slot of the emergency `station` hears, if any emergency on air lists it.
    std::optional<size_t> slotFor(const std::string& station) const;
    /// The emergency `station` hears, if any.
    std::optional<std::string> emergencyFor(const std::string& station) const;
    /// The slot of emergency `id`, if on air.
    std::optional<size_t> slotOf(const std::string& id) const;
    /// Every station an emergency on air lists, with the one it hears.
    std::unordered_map<std::string, std::string> following() const;
    size_t slotCount() const { return slots_.size(); }

private:
    struct Slot {
        std::string emergency;  ///< empty: free
        AlertStanding standing;
        std::vector<std::string> stations;
    };
    const Slot* heardBy(const std::string& station) const;
    std::vector<std::string> release(const std::string& id, const std::lock_guard<std::mutex>&);
    void list(size_t slot, const std::string& station);

    mutable std::mutex mutex_;
    std::vector<Slot> slots_;
    std::unordered_map<std::string, std::vector<size_t>> byStation_;  ///< slots listing each station
    uint64_t sequence_ = 0;
};

}  // namespace loa
